package dev.actlab.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The k largest positive values of a row (a TopK SAE's activation), by descending value, ties to
 * the lower index. {@link #reference} inserts every positive value into a sorted list of the best k
 * so far. {@link #vector} first finds, in one vector pass, a value t that at least k entries reach:
 * the row's whole vectors are cut into G >= k disjoint groups (a contiguous run of vectors, one lane
 * of it), and the k-th largest of the G group maxima is t (k groups each hold a value >= t, so the
 * k-th largest value of the row is >= t). A second vector pass keeps only the entries >= t (for
 * Gaussian-like rows of 6144 and k 32, about a hundred) and runs the reference's insertion on them
 * in index order. The k best of the row are among them, so the result is the reference's to the
 * bit; rows too short to cut, or with a NaN in a group, go to the reference.
 */
public final class TopKSelect {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Whole vectors each group should span at least, so that the groups' maxima are worth computing. */
    private static final int MIN_VECTORS_PER_GROUP = 8;

    private TopKSelect() {}

    /**
     * Writes the k largest positive values of a[off, off + n) into val and their positions (0-based
     * within the row) into idx, by descending value, ties to the lower index; returns how many (at
     * most k: fewer when fewer are positive). idx and val need min(k, n) entries.
     */
    public static int vector(float[] a, int off, int n, int k, int[] idx, float[] val) {
        k = Math.min(k, n);
        if (k <= 0) return 0;
        int vectors = n / L, segments = (k + L - 1) / L;   // segments x L lanes = the groups
        if (vectors < segments * MIN_VECTORS_PER_GROUP) return reference(a, off, n, k, idx, val);
        float[] maxima = new float[segments * L];
        for (int s = 0; s < segments; s++) {
            int v0 = (int) ((long) s * vectors / segments), v1 = (int) ((long) (s + 1) * vectors / segments);
            // two accumulators for alternate vectors: the group is still one lane of the segment
            FloatVector m0 = FloatVector.fromArray(S, a, off + v0 * L), m1 = m0;
            int v = v0 + 1;
            for (; v + 1 < v1; v += 2) {
                m0 = m0.max(FloatVector.fromArray(S, a, off + v * L));
                m1 = m1.max(FloatVector.fromArray(S, a, off + (v + 1) * L));
            }
            if (v < v1) m0 = m0.max(FloatVector.fromArray(S, a, off + v * L));
            m0.max(m1).intoArray(maxima, s * L);
        }
        for (float m : maxima) if (Float.isNaN(m)) return reference(a, off, n, k, idx, val);
        Arrays.sort(maxima);
        float t = Math.max(maxima[maxima.length - k], Float.MIN_VALUE);   // entries must also be positive: > 0 is >= MIN_VALUE
        int m = 0, upper = vectors * L;
        for (int i = 0; i < upper; i += L) {
            long bits = FloatVector.fromArray(S, a, off + i).compare(VectorOperators.GE, t).toLong();
            while (bits != 0) {
                int lane = Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                m = insert(a[off + i + lane], i + lane, m, k, idx, val);
            }
        }
        for (int i = upper; i < n; i++) if (a[off + i] >= t) m = insert(a[off + i], i, m, k, idx, val);
        return m;
    }

    /** The same result one entry at a time: every positive value offered, in index order, to a sorted list of the best k so far. */
    public static int reference(float[] a, int off, int n, int k, int[] idx, float[] val) {
        k = Math.min(k, n);
        int m = 0;
        for (int i = 0; i < n; i++) {
            float v = a[off + i];
            if (v > 0) m = insert(v, i, m, k, idx, val);
        }
        return m;
    }

    /** Offers (v, i) to the descending list val/idx of m entries (at most k); an equal value already there stays ahead. Returns the new m. */
    private static int insert(float v, int i, int m, int k, int[] idx, float[] val) {
        if (m == k && !(v > val[k - 1])) return m;
        int p = m == k ? k - 1 : m++;
        while (p > 0 && v > val[p - 1]) { val[p] = val[p - 1]; idx[p] = idx[p - 1]; p--; }
        val[p] = v; idx[p] = i;
        return m;
    }
}
