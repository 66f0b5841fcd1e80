package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.io.Progress;
import dev.actlab.sae.ActivationSource;
import dev.actlab.sae.SaeConfig;
import dev.actlab.sae.SaeTrainer;
import dev.actlab.sae.StepTimes;
import dev.actlab.tensor.Parallel;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The SAE speed goal: TopK training steps (d_in 384, 16x, k 32, batch 4096 by default) on
 * synthetic Gaussian rows (no model in the loop), against the FMA peak measured in the same run,
 * alternating the two over rounds, after one warm-up round. The rate counted is the encoder
 * product's FLOPs (2 B d_in d_sae per step, the dense part) per second of whole training step,
 * timed from the step's phases ({@link StepTimes}: thread CPU time on one thread, like the FMA
 * peak, so a shared core does not lower it; wall time on more), without each round's first step.
 * It also prints where the step's time goes, phase by phase.
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
        if (steps < 2) throw new IllegalArgumentException("stepsPerRound must be >= 2: the first step of a round is not counted");
        Parallel par = new Parallel(threads);
        double flopPerStep = 2.0 * batch * dIn * dIn * expansion / 1e9;
        train(dIn, expansion, k, batch, 2, 0, par);   // warm-up round: JIT compilation, not reported
        double[] fma = new double[rounds], rate = new double[rounds], frac = new double[rounds], wallRate = new double[rounds], wallFrac = new double[rounds];
        Map<StepTimes.Phase, Double> phases = new EnumMap<>(StepTimes.Phase.class);
        boolean cpu = false;
        for (int r = 0; r < rounds; r++) {
            fma[r] = FmaPeak.measure(threads, 300);
            SaeTrainer.Result t = train(dIn, expansion, k, batch, steps, r + 1, par);
            double[] s = t.times().stepSeconds();
            double counted = 0;
            for (int i = 1; i < s.length; i++) counted += s[i];   // the round's first step (geometric-median start, first touch) is not counted
            rate[r] = flopPerStep * (s.length - 1) / counted;
            frac[r] = rate[r] / fma[r];
            wallRate[r] = t.encoderGflops();
            wallFrac[r] = wallRate[r] / fma[r];
            cpu = t.times().cpuTime();
            t.times().seconds().forEach((p, v) -> phases.merge(p, v, Double::sum));
            System.err.printf(Locale.ROOT, "round %d: FMA peak %.1f GFLOP/s, SAE step %.1f encoder GFLOP/s (%.0f rows/s, %s), %.1f%% of peak; whole run by wall clock %.1f%%%n",
                    r + 1, fma[r], rate[r], batch / (counted / (s.length - 1)), cpu ? "thread CPU time" : "wall time", 100 * frac[r], 100 * wallFrac[r]);
        }
        double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
        Map<String, Object> ph = new LinkedHashMap<>();
        for (var e : phases.entrySet()) {
            System.err.printf(Locale.ROOT, "  %-58s %6.1f%%%n", e.getKey().what, 100 * e.getValue() / total);
            ph.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue() / total);
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("threads", threads); o.put("d_in", dIn); o.put("d_sae", dIn * expansion); o.put("k", k); o.put("batch", batch); o.put("steps_per_round", steps);
        o.put("step_clock", cpu ? "thread cpu time" : "wall time");
        o.put("fma_peak_gflops", BestMedian.of(fma)); o.put("sae_encoder_gflops", BestMedian.of(rate)); o.put("fraction_of_fma_peak", BestMedian.of(frac));
        o.put("fraction_of_fma_peak_whole_run_wall", BestMedian.of(wallFrac));
        o.put("phase_fractions", ph);
        System.out.println(Json.write(o));
    }

    private static SaeTrainer.Result train(int dIn, int expansion, int k, int batch, int steps, long seed, Parallel par) throws Exception {
        SaeTrainer.Options o = SaeTrainer.Options.topk(k, expansion, 1e-3, batch, (long) batch * steps, seed);
        return SaeTrainer.train(new GaussianRows(dIn, new SplittableRandom(seed)), "bench", 0, "gaussian", o, par, Progress.NONE, null);
    }
}
