package dev.actlab.tensor;

/**
 * Several matrices applied to the same x in one parallel region (decode's Q, K, V and gate, up):
 * one handoff to the threads instead of one per matrix. Their rows are split as one range; each
 * output row is computed by {@link WeightMatrix#matmulRows}, whose bits do not depend on where a
 * chunk starts, so the result equals each matrix's own matmul, whatever the thread count.
 */
public final class MatmulGroup {
    private MatmulGroup() {}

    /** outs[i] = x W_i^T for n tokens (n < 4: decode's kernels); every W_i has the same cols. */
    public static void run(WeightMatrix[] ms, float[] x, int n, float[][] outs, Parallel par) {
        int total = 0;
        for (int i = 0; i < ms.length; i++) {
            if (ms[i].cols() != ms[0].cols()) throw new IllegalArgumentException("matrix " + i + " has " + ms[i].cols() + " columns, matrix 0 " + ms[0].cols());
            if (outs[i].length < (long) n * ms[i].rows()) throw new IllegalArgumentException("output " + i + " holds " + outs[i].length + " floats, needs " + (long) n * ms[i].rows());
            total += ms[i].rows();
        }
        if (x.length < (long) n * ms[0].cols()) throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + (long) n * ms[0].cols());
        par.forRange(total, 16, (from, to) -> {
            int base = 0;
            for (int i = 0; i < ms.length && base < to; base += ms[i].rows(), i++) {
                int lo = Math.max(from, base) - base, hi = Math.min(to, base + ms[i].rows()) - base;
                if (lo < hi) ms[i].matmulRows(x, n, outs[i], lo, hi);
            }
        });
    }
}
