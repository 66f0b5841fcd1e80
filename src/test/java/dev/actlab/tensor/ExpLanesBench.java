package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * MathExpLanes against its scalar reference, one thread, ns per element of CPU time (best / median of alternating
 * rounds), for SiLU x up over a 110M prefill's [128, 2048] and softmax numerators over rows of 1..128. Not a test.
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.ExpLanesBench [ROUNDS]</pre>
 */
public final class ExpLanesBench {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 128 * 2048;
        float[] gate = new float[n], up = new float[n], work = new float[n];
        for (int i = 0; i < n; i++) { gate[i] = (float) (4 * rnd.nextGaussian()); up[i] = (float) rnd.nextGaussian(); }
        float[] rows = new float[128 * 129 / 2];
        for (int i = 0; i < rows.length; i++) rows[i] = (float) (-8 * rnd.nextDouble());
        float[] rwork = new float[rows.length];
        String[] names = {"silu scalar", "silu lanes", "softmax-exp scalar", "softmax-exp lanes"};
        double[][] ns = new double[4][rounds];
        long sink = 0;
        for (int r = -3; r < rounds; r++)
            for (int v = 0; v < 4; v++) {
                long t0 = mx.getCurrentThreadCpuTime();
                int reps = 10, elems;
                if (v < 2) {
                    elems = n * reps;
                    for (int k = 0; k < reps; k++) {
                        System.arraycopy(gate, 0, work, 0, n);
                        if (v == 0) MathExpLanes.siluTimesScalar(work, up, 0, n); else MathExpLanes.siluTimes(work, up, 0, n);
                    }
                    sink += Float.floatToRawIntBits(work[n / 3]);
                } else {
                    elems = rows.length * reps * 10;
                    for (int k = 0; k < reps * 10; k++) {
                        System.arraycopy(rows, 0, rwork, 0, rows.length);
                        for (int len = 1, off = 0; len <= 128; off += len, len++) {
                            if (v == 2) for (int j = 0; j < len; j++) rwork[off + j] = (float) Math.exp(rwork[off + j] - 0.5f);
                            else MathExpLanes.expShifted(rwork, off, len, 0.5f);
                        }
                    }
                    sink += Float.floatToRawIntBits(rwork[77]);
                }
                if (r >= 0) ns[v][r] = (mx.getCurrentThreadCpuTime() - t0) / (double) elems;
            }
        for (int v = 0; v < 4; v++) {
            double[] s = ns[v].clone();
            java.util.Arrays.sort(s);
            System.out.printf("%-20s %.2f / %.2f ns per element (best / median)%n", names[v], s[0], s[s.length / 2]);
        }
        System.out.println("(" + sink + ")");
    }
}
