package dev.actlab.quant;

/**
 * Which values share one scale, for a row-major [rows, cols] matrix whose rows are output channels
 * (weights, W [out, in]) or tokens (activations, [tokens, features]): the whole tensor, each row
 * (per output channel for weights, per token for activations), or groups of {@code size}
 * consecutive values along a row (the input dimension; the last group of a row may be shorter).
 */
public record Granularity(Kind kind, int size) {
    public enum Kind { TENSOR, ROW, GROUP }

    public static final Granularity TENSOR = new Granularity(Kind.TENSOR, 0);
    public static final Granularity ROW = new Granularity(Kind.ROW, 0);

    public Granularity {
        if (kind == Kind.GROUP && size < 1) throw new IllegalArgumentException("group size must be >= 1, got " + size);
        if (kind != Kind.GROUP) size = 0;
    }

    public static Granularity group(int size) { return new Granularity(Kind.GROUP, size); }

    /** Values per scale along a row of cols values. */
    public int groupLength(int cols) { return kind == Kind.GROUP ? Math.min(size, cols) : cols; }

    /** "tensor", "row", "g128". */
    @Override public String toString() {
        return switch (kind) { case TENSOR -> "tensor"; case ROW -> "row"; case GROUP -> "g" + size; };
    }
}
