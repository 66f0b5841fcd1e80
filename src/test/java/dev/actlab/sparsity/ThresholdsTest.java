package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThresholdsTest {
    @TempDir Path dir;

    @Test
    void writtenThresholdsReadBackAndApplyToTheModel() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        Thresholds th = TealCalibration.calibrate(m, CalibrationText.of(m, null, 128).tokens(), 0.4, "random", Progress.NONE);
        Path f = dir.resolve("t.json");
        th.write(f);
        Thresholds back = SparsitySpec.resolve(f.toString(), m, null, 64, Progress.NONE);
        assertEquals(th, back);
        assertEquals(th.threshold(3, SiteKind.FFN_DOWN), back.threshold(3, SiteKind.FFN_DOWN));
    }

    private FormatException bad(String json) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, json);
        return assertThrows(FormatException.class, () -> Thresholds.read(f));
    }

    static final String HEAD = "{\"format\":\"actlab-sparsity-thresholds\",\"version\":1,\"method\":\"teal\",\"target_sparsity\":0.5,\"layers\":2,";

    @Test
    void badFilesNameTheFileAndTheField() throws Exception {
        FormatException e = bad("not json");
        assertTrue(e.getMessage().contains("bad.json"), e.getMessage());
        assertEquals("format", bad("{\"format\":\"x\"}").field());
        assertEquals("method", bad(HEAD.replace("teal", "deja") + "\"sites\":[]}").field());
        // rsparse needs each site's activation sparsity (its ranks follow from it)
        assertEquals("sites[0].target_sparsity", bad(HEAD.replace("teal", "rsparse") + "\"sites\":[{\"layer\":0,\"input_of\":\"ffn_down\",\"threshold\":0.1}]}").field());
        assertEquals("target_sparsity", bad(HEAD.replace("0.5", "1.5") + "\"sites\":[]}").field());
        assertEquals("sites", bad(HEAD + "\"sites\":3}").field());
        assertEquals("sites[0].layer", bad(HEAD + "\"sites\":[{\"layer\":2,\"input_of\":\"ffn_down\",\"threshold\":0.1}]}").field());
        assertEquals("sites[0].input_of", bad(HEAD + "\"sites\":[{\"layer\":0,\"input_of\":\"ffn\",\"threshold\":0.1}]}").field());
        assertEquals("sites[1].threshold", bad(HEAD + "\"sites\":[{\"layer\":0,\"input_of\":\"ffn_down\",\"threshold\":0.1},"
                + "{\"layer\":1,\"input_of\":\"ffn_down\",\"threshold\":-1}]}").field());
        assertEquals("sites[1]", bad(HEAD + "\"sites\":[{\"layer\":0,\"input_of\":\"ffn_down\",\"threshold\":0.1},"
                + "{\"layer\":0,\"input_of\":\"ffn_down\",\"threshold\":0.2}]}").field());
    }

    @Test
    void aFileForAnotherModelIsRefused() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        Thresholds th = new Thresholds("teal", 0.5, m.config().layers() + 1, 0, "", List.of());
        var e = assertThrows(IllegalArgumentException.class, () -> SparseModel.of(m, th, false));
        assertTrue(e.getMessage().contains("layers"), e.getMessage());
    }
}
