package dev.actlab.quant;

/**
 * NormalFloat4 (Dettmers et al. 2023, QLoRA): 16 levels in [-1, 1] placed at quantiles of the
 * standard normal distribution, so that normally distributed weights scaled by their block's
 * absmax fill every level equally often. The construction (QLoRA appendix E): with offset
 * o = 0.9677083, the 8 positive levels are Phi^-1 at 8 evenly spaced probabilities from o down
 * towards 0.5 (9 points, the last dropped), the 7 negative levels are -Phi^-1 at 7 evenly spaced
 * probabilities from o towards 0.5 (8 points, the last dropped), plus an exact zero; all divided by
 * the largest. The test recomputes this table from the definition. A value is rounded to the
 * nearest level, ties to the even index; beyond +-1 saturates.
 */
public record Nf4Grid() implements ElementFormat {
    public static final Nf4Grid NF4 = new Nf4Grid();

    static final float[] LEVELS = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    /** The 16 levels, ascending. */
    public static float[] levels() { return LEVELS.clone(); }

    @Override public String name() { return "nf4"; }
    @Override public int bits() { return 4; }
    @Override public float max() { return 1f; }
    @Override public boolean hasNaN() { return false; }

    @Override public float round(float v) {
        if (Float.isNaN(v)) throw new NonFiniteValueException("nf4 has no NaN: cannot quantize NaN");
        if (v <= -1f) return -1f;
        if (v >= 1f) return 1f;
        int lo = 0, hi = LEVELS.length - 1;            // LEVELS[lo] <= v < LEVELS[hi]
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (LEVELS[mid] <= v) lo = mid; else hi = mid;
        }
        double dLo = (double) v - LEVELS[lo], dHi = (double) LEVELS[hi] - v;
        if (dLo < dHi) return LEVELS[lo];
        if (dHi < dLo) return LEVELS[hi];
        return LEVELS[(lo & 1) == 0 ? lo : hi];
    }
}
