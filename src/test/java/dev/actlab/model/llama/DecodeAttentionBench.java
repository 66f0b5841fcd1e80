package dev.actlab.model.llama;

import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.SplittableRandom;

/**
 * Decode attention alone (one query over T cached positions, the 110M shape: 12 heads of 64), the old path
 * (KernelChoice.decodeAttention false) against the new, alternating, at the given thread count. Not a test.
 * <pre>java ... dev.actlab.model.llama.DecodeAttentionBench THREADS ROUNDS T...</pre>
 */
public final class DecodeAttentionBench {
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]), rounds = Integer.parseInt(args[1]);
        boolean cold = Boolean.getBoolean("cold");   // -Dcold=true: 32 MB streamed between calls, as decode's weights evict the cache
        float[] evict = new float[cold ? 8 << 20 : 1];
        float sink = 0;
        LlamaConfig c = LlamaShape.STORIES_110M.config();
        SiteTable sites = new SiteTable(c.layers(), EnumSet.allOf(HookSite.class));
        Hook[] hk = new Hook[sites.size()];
        SplittableRandom rnd = new SplittableRandom(3);
        try (Parallel par = new Parallel(threads)) {
            for (int a = 2; a < args.length; a++) {
                int T = Integer.parseInt(args[a]);
                float[] q = new float[c.qDim()], keys = new float[T * c.kvDim()], values = new float[T * c.kvDim()], z = new float[c.qDim()];
                for (float[] f : new float[][]{q, keys, values}) for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
                double[][] us = new double[2][rounds];
                for (int r = -2; r < rounds; r++)
                    for (int v = 0; v < 2; v++) {
                        KernelChoice.decodeAttention = v == 1;
                        int reps = cold ? 200 : 2000;
                        long spent = 0;
                        for (int i = 0; i < reps; i++) {
                            if (cold) for (int e = 0; e < evict.length; e += 16) sink += evict[e];   // read only, as weights are
                            long t0 = System.nanoTime();
                            Attention.causal(c, q, keys, values, z, 1, T - 1, 0, sites, hk, par);
                            spent += System.nanoTime() - t0;
                        }
                        if (r >= 0) us[v][r] = spent / 1e3 / reps;
                    }
                java.util.Arrays.sort(us[0]); java.util.Arrays.sort(us[1]);
                System.out.printf("T %4d, %d threads: old %.2f / %.2f us, new %.2f / %.2f us (best / median); x%.2f median%n",
                        T, threads, us[0][0], us[0][rounds / 2], us[1][0], us[1][rounds / 2], us[0][rounds / 2] / us[1][rounds / 2]);
            }
        }
        KernelChoice.decodeAttention = true;
        if (sink == 42) System.out.println();
    }
}
