package dev.actlab.quant;

/**
 * One projection W [rows, cols] (y = W x) as singular triplets, ready to be cut at any rank k:
 * W-hat_k = sum over i < k of s_i u_i r_i^T, a rank-k matrix that a factored store would keep as
 * A = U_k diag(s_k) [rows, k] and B = R_k^T [k, cols], k (rows + cols) numbers.
 * - plain: the SVD of W itself (r_i = v_i); W-hat_k minimizes |W - W-hat|_F.
 * - whitened (SVD-LLM): the SVD of W S with S the {@link LowRankWhitening} of the inputs, r_i = S^{-T} v_i,
 *   so W-hat_k = U_k diag(s_k) V_k^T S^{-1}; it minimizes |(W - W-hat) S|_F, the output error on the
 *   calibration inputs (plus the damping term).
 * In both, {@link #tailNorm}(k) is that minimized error.
 */
public final class LowRankFactors {
    private final int rows, cols;
    private final Svd svd;
    private final double[][] right;           // [min(rows, cols)][cols]
    private final LowRankWhitening whitening; // null for plain

    private LowRankFactors(int rows, int cols, Svd svd, double[][] right, LowRankWhitening whitening) {
        this.rows = rows; this.cols = cols; this.svd = svd; this.right = right; this.whitening = whitening;
    }

    public static LowRankFactors plain(float[] w, int rows, int cols) {
        double[] a = new double[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = w[i];
        Svd svd = Svd.of(a, rows, cols);
        double[][] right = new double[svd.rank()][];
        for (int i = 0; i < right.length; i++) right[i] = svd.right(i);
        return new LowRankFactors(rows, cols, svd, right, null);
    }

    /** h: the inputs' second moment [cols][cols] (sum over calibration tokens of x x^T); damp: see {@link LowRankWhitening}. */
    public static LowRankFactors whitened(float[] w, int rows, int cols, double[][] h, double damp) {
        if (h.length != cols) throw new IllegalArgumentException("second moment of " + h.length + " inputs for a matrix of " + cols);
        LowRankWhitening s = LowRankWhitening.of(h, damp);
        Svd svd = Svd.of(s.rightMultiply(w, rows), rows, cols);
        double[][] right = new double[svd.rank()][];
        for (int i = 0; i < right.length; i++) right[i] = s.solveTranspose(svd.right(i));
        return new LowRankFactors(rows, cols, svd, right, s);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public int fullRank() { return svd.rank(); }
    public boolean whitened() { return whitening != null; }
    /** The whitening transform, or null for plain factors. */
    public LowRankWhitening whitening() { return whitening; }
    /** The SVD the truncation cuts: of W (plain) or of W S (whitened). */
    public Svd svd() { return svd; }

    /** The error truncation at rank k leaves in the norm it minimizes: |W - W-hat|_F (plain), |(W - W-hat) S|_F (whitened). */
    public double tailNorm(int k) { return svd.tailNorm(k); }

    /** W-hat_k [rows, cols] row-major, summed in double, rounded once to float. */
    public float[] reconstruct(int k) {
        if (k < 1 || k > svd.rank()) throw new IllegalArgumentException("rank " + k + " outside [1, " + svd.rank() + "] for a " + rows + " x " + cols + " matrix");
        double[] out = new double[rows * cols];
        for (int i = 0; i < k; i++) {
            double[] ui = svd.left(i), ri = right[i];
            double si = svd.singularValue(i);
            for (int r = 0; r < rows; r++) {
                double a = si * ui[r];
                if (a == 0) continue;
                int o = r * cols;
                for (int c = 0; c < cols; c++) out[o + c] += a * ri[c];
            }
        }
        float[] f = new float[out.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) out[i];
        return f;
    }
}
