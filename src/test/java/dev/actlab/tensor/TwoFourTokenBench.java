package dev.actlab.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One decode token's GEMVs of a Llama shape (per layer q, k, v, o [dim, dim], gate, up [hidden, dim],
 * down [dim, hidden]; then the dense unembedding [vocab, dim]) on random magnitude-2:4 weights, alternating, at a
 * thread count: dense (grouped as decode groups it: q k v in one region, gate and up in one), TwoFourF32Matrix one
 * region per matrix (now) and grouped the same way (nowGrouped: what decode does since MatmulGroup.fusable takes it;
 * timed twice per round as nowGrouped and nowGrouped2, a check of the spread). The ratio against dense is what the
 * GEMVs alone allow decode (norms, attention and the rest left out). The kernels the README compares with (before
 * branch twofour3, and its index words in a separate array) are in git history: build commit 4e6042c or 636bbd7 and
 * run this harness there. Not a test.
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.TwoFourTokenBench DIM HIDDEN LAYERS VOCAB THREADS [rounds]
 */
public final class TwoFourTokenBench {
    public static void main(String[] args) {
        int dim = Integer.parseInt(args[0]), hidden = Integer.parseInt(args[1]), layers = Integer.parseInt(args[2]), vocab = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]), rounds = args.length > 5 ? Integer.parseInt(args[5]) : 9;
        int[][] shapes = {{dim, dim}, {dim, dim}, {dim, dim}, {dim, dim}, {hidden, dim}, {hidden, dim}, {dim, hidden}};
        SplittableRandom rnd = new SplittableRandom(5);
        F32Matrix[][] dense = new F32Matrix[layers][7];
        TwoFourF32Matrix[][] now = new TwoFourF32Matrix[layers][7];
        for (int l = 0; l < layers; l++)
            for (int m = 0; m < 7; m++) {
                int rows = shapes[m][0], cols = shapes[m][1];
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < rows; i++) TwoFourF32Matrix.keepLargestTwo(w, i * cols, cols);
                dense[l][m] = F32Matrix.of(w, rows, cols);
                now[l][m] = TwoFourF32Matrix.of(dense[l][m]);
            }
        float[] emb = new float[vocab * dim];
        for (int i = 0; i < emb.length; i++) emb[i] = (float) rnd.nextGaussian();
        F32Matrix unembed = F32Matrix.of(emb, vocab, dim);
        float[] x = new float[Math.max(dim, hidden)];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] xd = Arrays.copyOf(x, dim), xh = Arrays.copyOf(x, hidden);
        float[][] outs = {new float[dim], new float[dim], new float[dim], new float[dim], new float[hidden], new float[hidden], new float[dim]};
        float[] logits = new float[vocab];
        String[] names = {"dense", "now", "nowGrouped", "nowGrouped2"};
        double[][] ms = new double[names.length][rounds];
        try (Parallel par = new Parallel(threads)) {
            for (int round = -2; round < rounds; round++)
                for (int j = 0; j < names.length; j++) {
                    int v = (j + Math.max(0, round)) % names.length;
                    long t0 = System.nanoTime();
                    for (int tok = 0; tok < 8; tok++) {
                        for (int l = 0; l < layers; l++) {
                            if (v != 1) {
                                WeightMatrix[] set = v == 0 ? dense[l] : now[l];
                                MatmulGroup.run(new WeightMatrix[]{set[0], set[1], set[2]}, xd, 1, new float[][]{outs[0], outs[1], outs[2]}, par);
                                set[3].matmul(xd, 1, outs[3], par);
                                MatmulGroup.runPaired(set[4], set[5], xd, 1, outs[4], outs[5], par, (f, t) -> { });
                                set[6].matmul(xh, 1, outs[6], par);
                            } else {
                                WeightMatrix[] set = now[l];
                                for (int m = 0; m < 7; m++) set[m].matmul(m == 6 ? xh : xd, 1, outs[m], par);
                            }
                        }
                        unembed.matmul(xd, 1, logits, par);
                    }
                    if (round >= 0) ms[v][round] = (System.nanoTime() - t0) / 1e6 / 8;
                }
        }
        System.out.printf("%d layers x [%d, %d] + [%d, %d] + [%d, %d] + unembedding [%d, %d], %d threads, %d rounds (ms per token, GEMVs only)%n",
                layers, dim, dim, hidden, dim, dim, hidden, vocab, dim, threads, rounds);
        double[] d = ms[0].clone(); Arrays.sort(d);
        for (int v = 0; v < names.length; v++) {
            double[] s = ms[v].clone(); Arrays.sort(s);
            System.out.printf("  %-13s best %.2f ms (%.2fx) median %.2f ms (%.2fx)%n", names[v], s[0], d[0] / s[0], s[rounds / 2], d[rounds / 2] / s[rounds / 2]);
        }
    }
}
