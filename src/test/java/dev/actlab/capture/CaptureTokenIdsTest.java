package dev.actlab.capture;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.DType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** capture stores token ids and positions as I32 (exact for any vocabulary); stores written before as F32 still read. */
class CaptureTokenIdsTest {
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test void tokenIdsAndPositionsAreI32(@TempDir Path dir) throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] ids = m.tokenizer().encode("The jury said it did find that many of the laws are outmoded.", true);
        int ctx = 8;
        new ActivationCapture(m, "blocks.1.hook_resid_post"::equals, ctx, 64, DType.F32).run(ids, dir, null);
        SafetensorsFile shard = SafetensorsFile.open(dir.resolve("shard-00000.safetensors"));
        var tid = shard.tensor("token_ids");
        var pos = shard.tensor("positions");
        assertEquals(DType.I32, tid.dtype());
        assertEquals(DType.I32, pos.dtype());
        for (int r = 0; r < ids.length; r++) {
            assertEquals(ids[r], shard.data(tid).get(I32, 4L * r), "row " + r);
            assertEquals(r % ctx, shard.data(pos).get(I32, 4L * r), "row " + r);
        }
        ActivationStore store = ActivationStore.open(dir);
        for (int r = 0; r < ids.length; r++) assertEquals(ids[r], store.tokenId(r));
    }

    @Test void anOlderCaptureWithF32IdsStillReads(@TempDir Path dir) throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] ids = m.tokenizer().encode("The jury said", true);
        new ActivationCapture(m, "blocks.0.hook_resid_post"::equals, 16, 64, DType.F32).run(ids, dir, null);
        // rewrite the shard as captures before 0.2.0 wrote it: ids and positions as F32
        Path file = dir.resolve("shard-00000.safetensors");
        SafetensorsFile old = SafetensorsFile.open(file);
        float[] site = old.floats("blocks.0.hook_resid_post", ids.length, m.dModel());
        float[] fids = new float[ids.length], fpos = new float[ids.length];
        for (int i = 0; i < ids.length; i++) { fids[i] = ids[i]; fpos[i] = i; }
        Path rewritten = dir.resolve("rewritten.safetensors");
        new SafetensorsWriter().addF32("blocks.0.hook_resid_post", site, ids.length, m.dModel())
                .addF32("token_ids", fids, ids.length).addF32("positions", fpos, ids.length).write(rewritten);
        Files.move(rewritten, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CaptureManifest man = CaptureManifest.read(dir);
        var sh = man.shards.get(0);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        man.shards.set(0, new CaptureManifest.Shard(sh.file(), sh.firstRow(), sh.rows(), sh.firstWindow(), sh.windows(), Files.size(file), sha));
        man.write(dir);
        ActivationStore store = ActivationStore.open(dir);
        int[] back = new int[ids.length];
        for (int r = 0; r < ids.length; r++) back[r] = store.tokenId(r);
        assertArrayEquals(ids, back, Arrays.toString(back));
    }
}
