package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.io.Progress;
import dev.actlab.sae.ActivationSource;
import dev.actlab.sae.SaeConfig;
import dev.actlab.sae.SaeTrainer;
import dev.actlab.tensor.Parallel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The SAE speed goal: TopK training steps (d_in 384, 16x, k 32, batch 4096 by default) on
 * synthetic Gaussian rows (no model in the loop), against the FMA peak measured in the same run,
 * alternating the two over rounds. The rate counted is the encoder product's FLOPs (2 B d_in d_sae
 * per step, the dense part) per second of whole training step.
 * {@code java ... dev.actlab.bench.SaeTrainBench [threads rounds stepsPerRound dIn expansion k batch]}
 */
public final class SaeTrainBench {
    private SaeTrainBench() {}

    /** Gaussian rows, regenerated from a seed (cheap next to a training step). */
    private record GaussianRows(int width, SplittableRandom rnd) implements ActivationSource {
        @Override public void next(float[] dst, int rows) { for (int i = 0; i < rows * width; i++) dst[i] = (float) rnd.nextGaussian(); }
        @Override public String describe() { return "gaussian"; }
    }

    public static void main(String[] args) throws Exception {
        int[] a = {2, 3, 4, 384, 16, 32, 4096};
        for (int i = 0; i < Math.min(args.length, a.length); i++) a[i] = Integer.parseInt(args[i]);
        int threads = a[0], rounds = a[1], steps = a[2], dIn = a[3], expansion = a[4], k = a[5], batch = a[6];
        Parallel par = new Parallel(threads);
        double[] fma = new double[rounds], rate = new double[rounds], frac = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            fma[r] = FmaPeak.measure(threads, 300);
            SaeTrainer.Options o = SaeTrainer.Options.topk(k, expansion, 1e-3, batch, (long) batch * steps, r + 1);
            SaeTrainer.Result t = SaeTrainer.train(new GaussianRows(dIn, new SplittableRandom(r)), "bench", 0, "gaussian", o, par, Progress.NONE, null);
            rate[r] = t.encoderGflops();
            frac[r] = rate[r] / fma[r];
            System.err.printf(Locale.ROOT, "round %d: FMA peak %.1f GFLOP/s, SAE step %.1f encoder GFLOP/s (%.0f rows/s), %.1f%% of peak%n",
                    r + 1, fma[r], rate[r], t.tokens() / (t.seconds() - t.dataSeconds()), 100 * frac[r]);
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("threads", threads); o.put("d_in", dIn); o.put("d_sae", dIn * expansion); o.put("k", k); o.put("batch", batch); o.put("steps_per_round", steps);
        o.put("fma_peak_gflops", BestMedian.of(fma)); o.put("sae_encoder_gflops", BestMedian.of(rate)); o.put("fraction_of_fma_peak", BestMedian.of(frac));
        System.out.println(Json.write(o));
    }
}
