package dev.actlab.quant;

/**
 * Integers of a given width: signed and symmetric, [-(2^(b-1) - 1), 2^(b-1) - 1] (int4: -7..7, the
 * code -8 unused so that zero sits in the middle and +-amax are both reachable), or unsigned,
 * [0, 2^b - 1], the grid of asymmetric (zero-point) quantization. Rounding is Math.rint: to the
 * nearest integer, ties to even.
 */
public record IntGrid(int bits, boolean signed) implements ElementFormat {
    public IntGrid {
        if (bits < 2 || bits > 16) throw new IllegalArgumentException("integer formats have 2 to 16 bits, got " + bits);
    }

    @Override public String name() { return (signed ? "int" : "uint") + bits; }

    /** Largest value: 2^(b-1) - 1 signed, 2^b - 1 unsigned. */
    @Override public float max() { return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1; }

    /** Smallest value: -max signed, 0 unsigned. */
    public float min() { return signed ? -max() : 0; }

    @Override public boolean hasNaN() { return false; }

    @Override public float round(float v) {
        if (Float.isNaN(v)) throw new NonFiniteValueException(name() + " has no NaN: cannot quantize NaN");
        return (float) Math.max(min(), Math.min(max(), Math.rint(v)));
    }
}
