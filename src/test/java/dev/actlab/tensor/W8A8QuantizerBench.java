package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * W8A8's per-token activation quantizer on MiniLM's widths (384, 1536) over n tokens: the scalar
 * quantizer into shorts plus the copy to floats (the old path of {@link Int8WeightPanelMatrix}) against
 * the Vector API quantizer into floats, one thread, nanoseconds per value in CPU time, alternating;
 * best and median. Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.W8A8QuantizerBench [n] [rounds]
 */
public final class W8A8QuantizerBench {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        var mx = ManagementFactory.getThreadMXBean();
        for (int cols : new int[]{384, 1536}) {
            Int8PanelMatrix m = Int8PanelMatrix.of(Int8PanelMatrixTest.weights(cols, 1), new float[]{0.1f}, Int8PanelMatrixTest.floats(cols, 1, 2), 1, cols);
            float[] x = Int8PanelMatrixTest.floats(n * cols, 3, 3), xq = new float[n * cols], sx = new float[n];
            short[] tmp = new short[cols];
            Runnable old = () -> {
                for (int t = 0; t < n; t++) {
                    sx[t] = m.quantizeActivation(x, t * cols, tmp, 0);
                    for (int k = 0; k < cols; k++) xq[t * cols + k] = tmp[k];
                }
            };
            Runnable neu = () -> { for (int t = 0; t < n; t++) sx[t] = m.quantizeActivation(x, t * cols, xq, t * cols); };
            Runnable[] c = {old, neu};
            double[][] ns = new double[2][rounds];
            for (int w = 0; w < 5; w++) { old.run(); neu.run(); }
            for (int r = 0; r < rounds; r++)
                for (int i = 0; i < 2; i++) {
                    int e = (i + r) % 2;
                    long c0 = mx.getCurrentThreadCpuTime();
                    c[e].run();
                    ns[e][r] = (double) (mx.getCurrentThreadCpuTime() - c0) / ((double) n * cols);
                }
            double[] a = ns[0].clone(), b = ns[1].clone();
            Arrays.sort(a); Arrays.sort(b);
            System.out.printf("cols %4d, %d tokens: scalar + copy %.3f / %.3f ns per value, vector %.3f / %.3f (best / median): x%.2f / x%.2f%n",
                    cols, n, a[0], a[rounds / 2], b[0], b[rounds / 2], a[0] / b[0], a[rounds / 2] / b[rounds / 2]);
        }
    }
}
