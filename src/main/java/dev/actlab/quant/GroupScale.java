package dev.actlab.quant;

/**
 * How one group of values maps onto a format's grid: value = (code - zero) * scale. zero is 0 for
 * symmetric formats; scale 0 means the group quantizes to zeros.
 */
public record GroupScale(float scale, float zero) {
    public static final GroupScale ZERO = new GroupScale(0f, 0f);
}
