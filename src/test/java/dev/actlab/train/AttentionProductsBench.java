package dev.actlab.train;

import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Softmax;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * CPU time of each of CausalAttention's per-head steps (its 6 products and the 2 softmax passes)
 * for one head of the brown shape (T 256, head size 32, 6 query and 2 key/value heads), one
 * thread, with the AVX2 GEMM switches (KernelChoice.transposedANarrowInPlace, zeroStartTiles) off
 * and on in alternating rounds; best of the rounds. Not a test. Run (after mvn test-compile):
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.train.AttentionProductsBench [rounds]
 */
public final class AttentionProductsBench {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int T = 256, hs = 32, heads = 6, kvHeads = 2, qStride = heads * hs, kStride = kvHeads * hs, reps = 200;
        SplittableRandom rng = new SplittableRandom(1);
        float[] q = gaussian(T * qStride, rng), k = gaussian(T * kStride, rng), v = gaussian(T * kStride, rng), dz = gaussian(T * qStride, rng);
        float[] att = new float[T * T], z = new float[T * qStride], ds = new float[T * T];
        float[] dq = new float[T * qStride], dk = new float[T * kStride], dv = new float[T * kStride];
        String[] names = {"S = Q K^T", "softmax", "Z = P V", "dP = dZ V^T", "softmax backward", "dQ += dS K", "dK += dS^T Q", "dV += P^T dZ"};
        double[][] best = new double[2][names.length];
        for (double[] b : best) Arrays.fill(b, Double.MAX_VALUE);
        float scale = (float) (1 / Math.sqrt(hs));
        var mx = ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 2 * rounds; round++) {
            int on = round % 2;
            KernelChoice.transposedANarrowInPlace = on == 1;
            KernelChoice.zeroStartTiles = on == 1;
            for (int op = 0; op < names.length; op++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int r = 0; r < reps; r++) {
                    switch (op) {
                        case 0 -> Gemm.multiply(att, 0, T, q, 0, qStride, false, k, 0, kStride, true, T, hs, T, Gemm.Zeros.C_BEFORE_ABOVE_DIAGONAL, Gemm.SERIAL);
                        case 1 -> { for (int t = 0; t < T; t++) Softmax.causalRow(att, t * T, t + 1, T, scale); }
                        case 2 -> Gemm.multiply(z, 0, qStride, att, 0, T, false, v, 0, kStride, false, T, T, hs, Gemm.Zeros.A_ABOVE_DIAGONAL, Gemm.SERIAL);
                        case 3 -> Gemm.multiply(ds, 0, T, dz, 0, qStride, false, v, 0, kStride, true, T, hs, T, Gemm.Zeros.C_BEFORE_ABOVE_DIAGONAL, Gemm.SERIAL);
                        case 4 -> { for (int t = 0; t < T; t++) Softmax.backwardRow(ds, t * T, att, t * T, t + 1, T, scale); }
                        case 5 -> Gemm.multiply(dq, 0, qStride, ds, 0, T, false, k, 0, kStride, false, T, T, hs, Gemm.Zeros.A_ABOVE_DIAGONAL, Gemm.SERIAL);
                        case 6 -> Gemm.multiply(dk, 0, kStride, ds, 0, T, true, q, 0, qStride, false, T, T, hs, Gemm.Zeros.A_BELOW_DIAGONAL, Gemm.SERIAL);
                        default -> Gemm.multiply(dv, 0, kStride, att, 0, T, true, dz, 0, qStride, false, T, T, hs, Gemm.Zeros.A_BELOW_DIAGONAL, Gemm.SERIAL);
                    }
                }
                best[on][op] = Math.min(best[on][op], (mx.getCurrentThreadCpuTime() - t0) / (double) reps);
            }
        }
        KernelChoice.transposedANarrowInPlace = true;
        KernelChoice.zeroStartTiles = true;
        double flops = 2.0 * hs * T * (T + 1) / 2;   // one causal product, as StepProfile counts it
        System.out.printf("one head, T %d, head size %d, 1 thread, best of %d rounds: microseconds (GFLOP per CPU-second)%n", T, hs, rounds);
        for (int op = 0; op < names.length; op++) {
            boolean product = !names[op].startsWith("softmax");
            System.out.printf("%-18s switches off %7.1f %-8s on %7.1f %-8s%n", names[op], best[0][op] / 1e3, product ? String.format("(%.1f)", flops / best[0][op]) : "",
                    best[1][op] / 1e3, product ? String.format("(%.1f)", flops / best[1][op]) : "");
        }
    }

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) rng.nextGaussian();
        return f;
    }
}
