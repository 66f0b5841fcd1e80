package dev.actlab.quant;

/**
 * The grid of one element of a number format, before any scale: what a value, already divided by
 * its group's scale, is rounded onto. Rounding is to the nearest grid value with ties to the even
 * code, and saturating: anything beyond the largest finite magnitude, infinities included, becomes
 * ±{@link #max()} (OCP's "saturation mode" for FP8 and NVIDIA's satfinite). NaN stays NaN where the
 * format encodes NaN (FP8); a format without a NaN encoding (integers, FP4, NF4) cannot hold one and
 * {@link #round} throws {@link NonFiniteValueException} rather than invent a number.
 */
public sealed interface ElementFormat permits IntGrid, MiniFloat, Nf4Grid {
    /** "int4", "e4m3", "e2m1", "nf4", ... */
    String name();

    /** Bits one element occupies when stored. */
    int bits();

    /** The largest finite magnitude of the grid. */
    float max();

    /** Whether the format has a NaN encoding. */
    boolean hasNaN();

    /** Nearest grid value to v: ties to even, saturating at ±max; NaN as the format specifies (see the class comment). */
    float round(float v);
}
