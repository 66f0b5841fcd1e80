package dev.actlab.tensor;

/**
 * Several matrices applied to the same x in one parallel region (decode's Q, K, V and gate, up):
 * one handoff to the threads instead of one per matrix. Their rows are split as one range; each
 * output row is computed by {@link WeightMatrix#matmulRows}, whose bits do not depend on where a
 * chunk starts, so the result equals each matrix's own matmul, whatever the thread count.
 */
public final class MatmulGroup {
    private MatmulGroup() {}

    /** A chunk holds at least this many multiply-adds: below that, handing rows to another thread costs more than it saves. */
    private static final long MIN_CHUNK_WORK = 1 << 15;

    /**
     * Whether decode may run these matrices here instead of through their own matmul: only types whose
     * matmulRows gives matmul's bits (each one checked by MatmulGroupTest). Others (sparse-input,
     * activation-quantizing, packed matrices) keep their own matmul.
     */
    public static boolean fusable(WeightMatrix... ms) {
        for (WeightMatrix m : ms)
            if (!(m instanceof F32Matrix || m instanceof F16Matrix || m instanceof Q8_0Matrix || m instanceof Q4_0Matrix || m instanceof Q4KMatrix
                    || m instanceof TwoFourF32Matrix && TwoFourF32Matrix.GROUPED)) return false;
        return true;
    }

    /** Minimum rows per chunk for rows of rowWork multiply-adds: a multiple of 16. */
    static int grain(long rowWork) {
        long rows = (MIN_CHUNK_WORK + rowWork - 1) / Math.max(1, rowWork);
        return (int) Math.min(1 << 20, Math.max(16, (rows + 15) / 16 * 16));
    }

    /** outs[i] = x W_i^T for n tokens (n < 4: decode's kernels); every W_i has the same cols. */
    public static void run(WeightMatrix[] ms, float[] x, int n, float[][] outs, Parallel par) {
        int total = 0;
        for (int i = 0; i < ms.length; i++) {
            if (ms[i].cols() != ms[0].cols()) throw new IllegalArgumentException("matrix " + i + " has " + ms[i].cols() + " columns, matrix 0 " + ms[0].cols());
            if (outs[i].length < (long) n * ms[i].rows()) throw new IllegalArgumentException("output " + i + " holds " + outs[i].length + " floats, needs " + (long) n * ms[i].rows());
            total += ms[i].rows();
        }
        if (x.length < (long) n * ms[0].cols()) throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + (long) n * ms[0].cols());
        par.forRange(total, grain((long) ms[0].cols() * n), (from, to) -> {
            int base = 0;
            for (int i = 0; i < ms.length && base < to; base += ms[i].rows(), i++) {
                int lo = Math.max(from, base) - base, hi = Math.min(to, base + ms[i].rows()) - base;
                if (lo < hi) ms[i].matmulRows(x, n, outs[i], lo, hi);
            }
        });
    }

    /**
     * aOut = x A^T and bOut = x B^T for two matrices of the same shape (decode's gate and up), split
     * as one range of row indices: a chunk computes its rows of both, then runs after(from, to) on
     * them (e.g. h = silu(gate) * up for those rows of every token) - one region instead of three.
     */
    public static void runPaired(WeightMatrix a, WeightMatrix b, float[] x, int n, float[] aOut, float[] bOut, Parallel par, Parallel.RangeBody after) {
        if (a.rows() != b.rows() || a.cols() != b.cols())
            throw new IllegalArgumentException("paired matrices differ: [" + a.rows() + ", " + a.cols() + "] and [" + b.rows() + ", " + b.cols() + "]");
        int rows = a.rows();
        if (aOut.length < (long) n * rows || bOut.length < (long) n * rows) throw new IllegalArgumentException("outputs hold " + aOut.length + " and " + bOut.length + " floats, need " + (long) n * rows);
        if (x.length < (long) n * a.cols()) throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + (long) n * a.cols());
        par.forRange(rows, grain(2L * a.cols() * n), (from, to) -> {
            a.matmulRows(x, n, aOut, from, to);
            b.matmulRows(x, n, bOut, from, to);
            after.run(from, to);
        });
    }
}
