package dev.actlab.capture;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23's weak spots in capture: resume verifies each recorded shard (size and SHA-256 in the
 * manifest); a lock on the output directory keeps two captures apart and only the capture's own
 * temporaries are deleted; everything that can be refused is refused before anything is written.
 */
class CaptureTrustTest {
    @TempDir Path tmp;
    static final Predicate<String> SITES = Hooks.glob("blocks.*.hook_resid_post");
    LlamaModel m;
    int[] tokens;

    @BeforeEach
    void load() throws Exception {
        m = Llama2cReader.read(Shared.stories260K());
        tokens = ActivationCaptureTest.input();   // 85 tokens: 6 windows of 16, shards of >= 20 rows
    }

    ActivationCapture capture() { return new ActivationCapture(m, SITES, 16, 20, DType.F32); }

    static void sameStore(Path a, Path b) throws Exception {
        ActivationStore x = ActivationStore.open(a), y = ActivationStore.open(b);
        assertEquals(x.manifest().shards, y.manifest().shards, "same shards, sizes and checksums");
        for (CaptureManifest.Site s : x.manifest().sites)
            assertArrayEquals(x.rows(s.name(), 0, (int) x.rows()), y.rows(s.name(), 0, (int) y.rows()), s.name());
    }

    @Test
    void theManifestRecordsEachShardsSizeAndChecksum() throws Exception {
        CaptureManifest man = capture().run(tokens, tmp.resolve("s"), null);
        for (CaptureManifest.Shard s : man.shards) {
            Path f = tmp.resolve("s").resolve(s.file());
            assertEquals(Files.size(f), s.bytes());
            assertEquals(ActivationCapture.sha256(f), s.sha256());
        }
    }

    @Test
    void resumeRedoesATruncatedDeletedOrChangedShardInsteadOfSayingComplete() throws Exception {
        Path fresh = tmp.resolve("fresh");
        CaptureManifest man = capture().run(tokens, fresh, null);
        assertTrue(man.shards.size() >= 3, "several shards: " + man.shards.size());
        String[] damage = {"truncate", "delete", "flip"};
        for (String how : damage) {
            Path d = tmp.resolve(how);
            capture().run(tokens, d, null);
            Path shard = d.resolve(man.shards.get(1).file());
            byte[] b = Files.readAllBytes(shard);
            switch (how) {
                case "truncate" -> Files.write(shard, Arrays.copyOf(b, b.length - 100));
                case "delete" -> Files.delete(shard);
                default -> { b[b.length - 3] ^= 0x40; Files.write(shard, b); }   // same size, other bytes
            }
            if (how.equals("truncate")) {
                FormatException e = assertThrows(FormatException.class, () -> ActivationStore.open(d));
                assertEquals("file size", e.field());
                assertTrue(e.getMessage().contains("the manifest recorded " + b.length), e.getMessage());
            }
            CaptureManifest again = capture().run(tokens, d, null);
            assertTrue(again.complete, how);
            sameStore(fresh, d);
        }
    }

    @Test
    void aSecondCaptureIntoTheSameDirectoryIsRefusedWhileTheFirstRuns() throws Exception {
        Path d = tmp.resolve("shared");
        Files.createDirectories(d);
        Path user = Files.writeString(d.resolve("notes.part"), "a user's file that happens to end in .part");
        IllegalArgumentException[] second = new IllegalArgumentException[1];
        CaptureManifest man = capture().run(tokens, d, (done, total) -> {
            if (done == 2) second[0] = assertThrows(IllegalArgumentException.class, () -> capture().run(tokens, d, null));
        });
        assertTrue(man.complete);
        assertNotNull(second[0], "the second capture ran");
        assertTrue(second[0].getMessage().startsWith("another capture is writing into " + d), second[0].getMessage());
        assertTrue(Files.exists(user), "only the capture's own temporaries are deleted");
        // a crashed capture's temporaries are its own and go; the lock died with it
        Path leftover = Files.writeString(d.resolve(".shard-00002.safetensors.4242.123456789.part"), "half-written");
        Path manifestLeftover = Files.writeString(d.resolve(".manifest.json.4242.987654321.part"), "{");
        assertTrue(capture().run(tokens, d, null).complete);
        assertFalse(Files.exists(leftover) || Files.exists(manifestLeftover));
        assertTrue(Files.exists(user));
        sameStore(d, d);
    }

    @Test
    void aRunThatIsRefusedWritesNothing() throws Exception {
        Path d = tmp.resolve("out");
        // ctx beyond the model's context (capture --ctx 100000): the model says so before anything is written
        IllegalArgumentException ctx = assertThrows(IllegalArgumentException.class,
                () -> new ActivationCapture(m, SITES, 100000, 20, DType.F32).run(longInput(600), d, null));
        assertTrue(ctx.getMessage().contains("exceeds the model's context length 512"), ctx.getMessage());
        assertFalse(Files.exists(d), "nothing written");
        // an out-of-range id late in the input
        int[] bad = tokens.clone();
        bad[80] = 512;
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> capture().run(bad, d, null));
        assertTrue(id.getMessage().contains("token id 512"), id.getMessage());
        assertFalse(Files.exists(d), "nothing written");
        // the corrected run goes ahead
        assertTrue(capture().run(tokens, d, null).complete);
        // --out that is a file: said so, and the file is left alone
        Path file = Files.writeString(tmp.resolve("a-file"), "mine");
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> capture().run(tokens, file, null));
        assertEquals(file + " exists and is not a directory", f.getMessage());
        assertEquals("mine", Files.readString(file));
    }

    @Test
    void aManifestWithoutShardsDoesNotBlockTheCorrectedRun() throws Exception {
        // what an earlier version left behind after a refused run: a manifest of other settings and no shard
        Path d = tmp.resolve("blocked");
        CaptureManifest stale = new CaptureManifest();
        stale.model = "other.bin";
        stale.ctx = 100000;
        stale.inputSha256 = "00";
        stale.dtype = "F32";
        Files.createDirectories(d);
        stale.write(d);
        assertTrue(capture().run(tokens, d, null).complete);
        assertEquals(m.source(), CaptureManifest.read(d).model);
        // a manifest with shards of another capture still refuses, naming what differs
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ActivationCapture(m, SITES, 32, 20, DType.F32).run(tokens, d, null));
        assertTrue(e.getMessage().contains("already holds a capture of ctx 16"), e.getMessage());
    }

    @Test
    void aManifestNamingAPathOutsideTheStoreIsRefused() throws Exception {
        Path d = tmp.resolve("m");
        capture().run(tokens, d, null);
        Path mf = CaptureManifest.path(d);
        Files.writeString(mf, Files.readString(mf).replace("\"shard-00000.safetensors\"", "\"../../etc/passwd\""));
        FormatException e = assertThrows(FormatException.class, () -> CaptureManifest.read(d));
        assertEquals("shards[0].file", e.field());
    }

    int[] longInput(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = tokens[i % tokens.length];
        return out;
    }
}
