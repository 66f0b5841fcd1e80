package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** N steps run as N/2, a stop (as Ctrl-C asks) and a resume from the checkpoint give the uninterrupted run's bits. */
class SaeResumeTest {
    static LlamaModel brown;
    static int[] text;

    @BeforeAll static void load() throws Exception {
        brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        text = brown.tokenizer().encode(SaeEvalTest.TEXT, false);
    }

    private static SaeTrainer.Result run(SaeTrainer.Options o, SaeTrainer.Checkpointing ck) throws Exception {
        ModelActivations src = new ModelActivations(brown, SaeEvalTest.SITE, text, 32, 256, 7);
        return SaeTrainer.train(src, SaeEvalTest.SITE, 2, brown.source(), o, new Parallel(2), Progress.NONE, null, ck);
    }

    private static void assertSameBits(Sae a, Sae b, String what) {
        for (float[][] p : new float[][][]{{a.wEncT, b.wEncT}, {a.bEnc, b.bEnc}, {a.wDec, b.wDec}, {a.bDec, b.bDec}, {a.threshold, b.threshold}})
            for (int i = 0; i < p[0].length; i++)
                if (Float.floatToRawIntBits(p[0][i]) != Float.floatToRawIntBits(p[1][i])) fail(what + ": element " + i + " differs: " + p[0][i] + " vs " + p[1][i]);
    }

    @Test void stopAndResumeGiveTheUninterruptedWeights(@TempDir Path dir) throws Exception {
        int steps = 12, B = 64;
        for (SaeConfig.Architecture a : new SaeConfig.Architecture[]{SaeConfig.Architecture.TOPK, SaeConfig.Architecture.BATCHTOPK, SaeConfig.Architecture.JUMPRELU}) {
            // dead-after 2 batches, so AuxK and the dead counters matter; jumprelu with a wide kernel, so its thresholds move
            SaeTrainer.Options o = new SaeTrainer.Options(a, 8, 2, 1e-3, B, (long) B * steps, 3, a == SaeConfig.Architecture.JUMPRELU ? 1e-2 : 0,
                    1.0 / 32, 0, 2L * B, 4, 0.05, 0.1);
            Sae whole = run(o, SaeTrainer.Checkpointing.NONE).sae();
            Path ck = dir.resolve(a.cliName()).resolve(SaeTrainer.CHECKPOINT);
            AtomicInteger asked = new AtomicInteger();
            SaeTrainer.Result half = run(o, new SaeTrainer.Checkpointing(ck, 5, false, () -> asked.incrementAndGet() > steps / 2));
            assertTrue(half.stopped());
            assertEquals(steps / 2, half.steps());
            SaeTrainer.Result rest = run(o, new SaeTrainer.Checkpointing(ck, 5, true, () -> false));
            assertFalse(rest.stopped());
            assertEquals(steps, rest.steps());
            assertSameBits(whole, rest.sae(), a.cliName() + " resumed");
            assertFalse(java.util.Arrays.equals(whole.wDec, half.sae().wDec), a.cliName() + ": the half run is not yet the whole one");
        }
        // a checkpoint of another run is refused
        SaeTrainer.Options other = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, 4, 2, 1e-3, B, (long) B * steps, 3, 0, 1.0 / 32, 0, 2L * B, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(other, new SaeTrainer.Checkpointing(dir.resolve("topk").resolve(SaeTrainer.CHECKPOINT), 5, true, () -> false)));
        assertTrue(e.getMessage().contains("k 8") && e.getMessage().contains("k 4"), e.getMessage());
    }
}
