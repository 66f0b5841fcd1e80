package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.capture.CaptureManifest;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.testutil.Shared;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --dtype takes its value in any case: q8_0 is Q8_0, bf16 is BF16 (convert, synth, capture). */
class DtypeCaseTest {
    @Test void lowerCaseTypesAreAccepted(@TempDir Path dir) throws Exception {
        var conv = CliMessagesTest.run("convert", "--model", Shared.stories260K().toString(), "--out", dir.resolve("s.gguf").toString(), "--dtype", "q8_0");
        assertEquals(0, conv.code(), conv.err());
        assertEquals("Q8_0", GgufFile.open(dir.resolve("s.gguf")).tensor("blk.0.attn_q.weight").type().name());
        var synth = CliMessagesTest.run("synth", "--shape", "tiny-quant", "--out", dir.resolve("t.gguf").toString(), "--dtype", "q4_0");
        assertEquals(0, synth.code(), synth.err());
        var cap = CliMessagesTest.run("capture", "--tokens", "1 2 3 4", "--sites", "blocks.0.hook_resid_post", "--out", dir.resolve("c").toString(), "--dtype", "bf16");
        assertEquals(0, cap.code(), cap.err());
        assertEquals("BF16", CaptureManifest.read(dir.resolve("c")).dtype);
        var bad = CliMessagesTest.run("convert", "--model", Shared.stories260K().toString(), "--out", dir.resolve("x.gguf").toString(), "--dtype", "q3");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--dtype"), bad.err());
    }
}
