package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A magnitude threshold's per-token work (TEAL, `sparsity/SparseInputMatrix`): the list of kept inputs
 * (|x[i]| >= threshold, NaN kept) and the input with its skipped entries zeroed, eight inputs a step.
 * The list: the eight comparisons give a mask, a table gives the positions of its set bits, one vector
 * store writes them and the count advances by the mask's popcount (the scalar form writes one index
 * per input, and a branch per input mispredicted about every other one). Both equal their scalar
 * references exactly (integers; +0 for a skipped entry, the kept ones' bits untouched).
 */
public final class KeptInputs {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /** Row m: the positions of the set bits of m (ascending), then zeros; 256 rows of 8. */
    private static final int[] POSITIONS = new int[256 * 8];

    static {
        for (int m = 0; m < 256; m++)
            for (int b = 0, k = 0; b < 8; b++) if ((m >> b & 1) != 0) POSITIONS[m * 8 + k++] = b;
    }

    private KeptInputs() {}

    /**
     * The kept inputs among x[xOff .. xOff + n), as offsets from xOff in increasing order, into idx (at least
     * n long: a step writes eight entries past the count); returns how many.
     */
    public static int indices(float[] x, int xOff, int n, float threshold, int[] idx) {
        if (idx.length < n) throw new IllegalArgumentException(idx.length + " indices for " + n + " inputs");
        int nnz = 0, i = 0;
        for (int end = S.loopBound(n); i < end; i += 8) {
            VectorMask<Float> skip = FloatVector.fromArray(S, x, xOff + i).abs().compare(VectorOperators.LT, threshold);
            int keep = (int) ~skip.toLong() & 0xff;
            IntVector.fromArray(I, POSITIONS, keep * 8).add(i).intoArray(idx, nnz);
            nnz += Integer.bitCount(keep);
        }
        for (; i < n; i++) { idx[nnz] = i; nnz += Math.abs(x[xOff + i]) < threshold ? 0 : 1; }
        return nnz;
    }

    /** Plain scalar reference of {@link #indices}. */
    public static int indicesScalar(float[] x, int xOff, int n, float threshold, int[] idx) {
        int nnz = 0;
        for (int i = 0; i < n; i++) if (!(Math.abs(x[xOff + i]) < threshold)) idx[nnz++] = i;
        return nnz;
    }

    /**
     * In place on rows [rows, cols] at off: an entry whose |v| (times mul[i], when mul is not null) is below
     * the threshold becomes +0.
     */
    public static void zeroSkipped(float[] v, int off, int rows, int cols, float[] mul, float threshold) {
        FloatVector zero = FloatVector.zero(S);
        for (int t = 0; t < rows; t++) {
            int o = off + t * cols, i = 0;
            for (int end = S.loopBound(cols); i < end; i += 8) {
                FloatVector a = FloatVector.fromArray(S, v, o + i);
                FloatVector judged = mul == null ? a : a.mul(FloatVector.fromArray(S, mul, i));
                a.blend(zero, judged.abs().compare(VectorOperators.LT, threshold)).intoArray(v, o + i);
            }
            for (; i < cols; i++) if (Math.abs(mul == null ? v[o + i] : v[o + i] * mul[i]) < threshold) v[o + i] = 0f;
        }
    }

    /** Plain scalar reference of {@link #zeroSkipped}. */
    public static void zeroSkippedScalar(float[] v, int off, int rows, int cols, float[] mul, float threshold) {
        for (int t = 0; t < rows; t++)
            for (int i = 0; i < cols; i++) {
                int j = off + t * cols + i;
                if (Math.abs(mul == null ? v[j] : v[j] * mul[i]) < threshold) v[j] = 0f;
            }
    }
}
