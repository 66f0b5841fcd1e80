package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `actlab convert --dtype Q4_1|Q5_0|Q5_1|MXFP4` on the default decoder: exit 0, the matrices stored
 * and run in that type, finite logits. (Bytes against llama-quantize: LegacyQuantWriterTest; logits
 * against the dequantized model: LegacyQuantModelTest.)
 */
class ConvertLegacyTypesTest {
    @TempDir Path dir;

    @Test
    void convertWritesEachLegacyTypeAndTheFileRunsInIt() throws Exception {
        for (String type : new String[]{"Q4_1", "q5_0", "Q5_1", "mxfp4"}) {
            Path out = dir.resolve(type + ".gguf");
            var r = CliMessagesTest.run("convert", "--model", "models/actlab-brown.gguf", "--out", out.toString(), "--dtype", type);
            assertEquals(0, r.code(), r.err());
            DType t = DType.valueOf(type.toUpperCase());
            assertTrue(r.out().contains("wrote " + out + " (llama, " + t + ")"), r.out());
            LlamaModel m = GgufLlamaLoader.load(GgufFile.open(out));
            var w = m.weights();
            for (WeightMatrix x : new WeightMatrix[]{w.tokenEmbedding(), w.wq()[0], w.wDown()[m.layers() - 1], w.output()})
                assertEquals(t, x.dtype(), type);
            for (float v : m.runWithHooks(new int[]{1, 200, 300, 400}, Hooks.none())) assertTrue(Float.isFinite(v), type);
        }
    }
}
