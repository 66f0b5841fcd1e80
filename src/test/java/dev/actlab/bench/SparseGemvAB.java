package dev.actlab.bench;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.InputMajorQ4;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.Q4_0Matrix;
import dev.actlab.tensor.WeightMatrices;
import dev.actlab.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Dense Q4_0 GEMV against the input-major Q4_0 column kernel at given input sparsities, on the block
 * matrices of the 110M shape (q/k/v/o 768x768, gate/up 2048x768, down 768x2048), alternating dense and
 * sparse in every round so a neighbour's load hits both alike. Each side cycles through copies of the
 * matrix totalling about 24 MB of Q4_0 (-Dpool=BYTES), so weights come mostly from memory as in decoding. One token (decode). Prints per shape
 * and sparsity the best and median microseconds a call and the speedup dense/sparse (median, best).
 * Not a test: timings do not belong in tests. The sparse side includes building the kept-index list
 * from x, as SparseInputMatrix does.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes' \
 *   [-Dcpu=true] [-Dpool=BYTES] dev.actlab.bench.SparseGemvAB [threads 2] [rounds 9] [sparsities 0.25,0.5,0.7]
 * </pre>
 */
public final class SparseGemvAB {
    static final int POOL_BYTES = Integer.getInteger("pool", 24_000_000);
    /** -Dcpu=true: the thread's CPU time instead of wall time (one thread only), for a machine so loaded that wall time is mostly waiting for a core. */
    static final boolean CPU = Boolean.getBoolean("cpu");
    static final java.lang.management.ThreadMXBean BEAN = java.lang.management.ManagementFactory.getThreadMXBean();

    static long clock() { return CPU ? BEAN.getCurrentThreadCpuTime() : System.nanoTime(); }
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        if (CPU && threads != 1) throw new IllegalArgumentException("-Dcpu=true measures the calling thread: use 1 thread");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        double[] levels = Arrays.stream((args.length > 2 ? args[2] : "0.25,0.5,0.7").split(",")).mapToDouble(Double::parseDouble).toArray();
        int[][] shapes = {{768, 768}, {2048, 768}, {768, 2048}};
        SplittableRandom rnd = new SplittableRandom(5);
        System.out.printf("Q4_0 GEMV, one token, %d threads, %d alternating rounds (us a call, %s: best / median)%n", threads, rounds, CPU ? "thread CPU time" : "wall time");
        try (Parallel par = new Parallel(threads)) {
            for (int[] s : shapes) {
                int rows = s[0], cols = s[1];
                int copies = Math.max(1, POOL_BYTES / (rows * cols / 2));
                WeightMatrix[] m = new WeightMatrix[copies];
                InputMajorQ4[] t = new InputMajorQ4[copies];
                m[0] = q4(rnd, rows, cols);
                t[0] = InputMajorQ4.of(m[0]);
                for (int i = 1; i < copies; i++) { m[i] = copy(m[0]); t[i] = InputMajorQ4.of(m[i]); }
                for (double level : levels) {
                    float[] x = new float[cols];
                    for (int c = 0; c < cols; c++) x[c] = (float) rnd.nextGaussian();
                    float[] mags = new float[cols];
                    for (int c = 0; c < cols; c++) mags[c] = Math.abs(x[c]);
                    Arrays.sort(mags);
                    float threshold = mags[(int) Math.round(level * cols)];
                    for (int c = 0; c < cols; c++) if (Math.abs(x[c]) < threshold) x[c] = 0;
                    float[] out = new float[rows];
                    int reps = 2 * copies;
                    double[] dense = new double[rounds], sparse = new double[rounds];
                    for (int r = -2; r < rounds; r++) {   // two warm-up rounds
                        double a, b;
                        if ((r & 1) == 0) { a = timeDense(m, x, out, par, reps); b = timeSparse(t, x, threshold, out, par, reps); }
                        else { b = timeSparse(t, x, threshold, out, par, reps); a = timeDense(m, x, out, par, reps); }
                        if (r >= 0) { dense[r] = a; sparse[r] = b; }
                    }
                    double[] ratio = new double[rounds];
                    for (int r = 0; r < rounds; r++) ratio[r] = dense[r] / sparse[r];
                    System.out.printf("[%d x %d] sparsity %.2f: dense %.1f / %.1f, sparse %.1f / %.1f, speedup %.2fx median (%.2fx best-of-each)%n",
                            rows, cols, level, min(dense), BestMedian.median(dense), min(sparse), BestMedian.median(sparse),
                            BestMedian.median(ratio), min(dense) / min(sparse));
                }
            }
        }
    }

    static double min(double[] v) { return Arrays.stream(v).min().orElseThrow(); }

    static double timeDense(WeightMatrix[] m, float[] x, float[] out, Parallel par, int reps) {
        long t0 = clock();
        for (int i = 0; i < reps; i++) m[i % m.length].matmul(x, 1, out, par);
        return (clock() - t0) / 1e3 / reps;
    }

    static double timeSparse(InputMajorQ4[] t, float[] x, float threshold, float[] out, Parallel par, int reps) {
        long t0 = clock();
        for (int i = 0; i < reps; i++) {
            int[] idx = new int[x.length];
            int nnz = 0;
            for (int c = 0; c < x.length; c++) if (!(Math.abs(x[c]) < threshold)) idx[nnz++] = c;
            t[i % t.length].gemv(x, 0, idx, nnz, out, 0, par);
        }
        return (clock() - t0) / 1e3 / reps;
    }

    static WeightMatrix copy(WeightMatrix m) {
        byte[] b = new byte[m.rows() * m.cols() / 32 * 18];
        MemorySegment seg = MemorySegment.ofArray(b);
        seg.copyFrom(((Q4_0Matrix) m).segment());
        return WeightMatrices.of(DType.Q4_0, seg, m.rows(), m.cols());
    }

    static WeightMatrix q4(SplittableRandom r, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols / 32 * 18]);
        for (int row = 0; row < rows; row++) Q4_0Matrix.quantize(w, row * cols, cols, seg, (long) row * cols / 32 * 18);
        return WeightMatrices.of(DType.Q4_0, seg, rows, cols);
    }
}
