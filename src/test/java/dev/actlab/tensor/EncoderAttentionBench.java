package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * MiniLM's attention (12 heads of 32, sequences of seq tokens) with the scores' 6 x 4 tile and with
 * two 6 x 2 tiles ({@link KernelChoice#attentionHalfTiles}), one thread, GFLOP (QK^T and PV) per
 * CPU-second, the two alternating within each round; best and median. Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.EncoderAttentionBench [seq] [rounds]
 */
public final class EncoderAttentionBench {
    public static void main(String[] args) {
        int seq = args.length > 0 ? Integer.parseInt(args[0]) : 128, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int heads = 12, hs = 32, d = heads * hs, batch = Math.max(1, 4096 / seq), n = batch * seq;
        var mx = ManagementFactory.getThreadMXBean();
        float[] q = SoftmaxTest.random(n * d, 1, 2), k = SoftmaxTest.random(n * d, 2, 2), v = SoftmaxTest.random(n * d, 3, 1), z = new float[n * d];
        double flops = 4.0 * batch * seq * (double) seq * d;
        boolean[] choice = {false, true};
        double[][] g = new double[2][rounds];
        Runnable all = () -> { for (int b = 0; b < batch; b++) for (int h = 0; h < heads; h++) EncoderAttentionKernel.fused(q, k, v, z, b * seq, seq, heads, hs, h); };
        for (int warm = 0; warm < 5; warm++) for (boolean c : choice) { KernelChoice.attentionHalfTiles = c; all.run(); }
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < 2; i++) {
                int c = (i + round) % 2;   // alternate who goes first
                KernelChoice.attentionHalfTiles = choice[c];
                long c0 = mx.getCurrentThreadCpuTime();
                all.run();
                g[c][round] = flops / (mx.getCurrentThreadCpuTime() - c0);
            }
        double[] old = g[0].clone(), neu = g[1].clone();
        Arrays.sort(old); Arrays.sort(neu);
        System.out.printf("%d x %d tokens, 12 heads of 32, one thread, %d rounds: GFLOP per CPU-second best / median%n", batch, seq, rounds);
        System.out.printf("scores 6 x 4 %6.1f / %6.1f   two 6 x 2 %6.1f / %6.1f   x%.2f / x%.2f%n",
                old[rounds - 1], old[rounds / 2], neu[rounds - 1], neu[rounds / 2], neu[rounds - 1] / old[rounds - 1], neu[rounds / 2] / old[rounds / 2]);
    }
}
