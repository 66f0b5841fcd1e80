package dev.actlab.train;

import dev.actlab.tensor.Parallel;

/**
 * A saved activation [rows, cols] kept in 8 bits between the forward and the backward pass:
 * each row is cut into groups of `group` values along cols (the last group may be shorter),
 * each group has one float scale = max|x| / 127, codes are round-to-nearest(x / scale) in
 * [-127, 127] (symmetric, so zero stays exactly zero). Dequantized value = code * scale, off by
 * at most scale / 2. Plain scalar code split over rows, each row by one thread: the result does
 * not depend on the thread count.
 */
public final class CompressedActivation {
    private final int rows, cols, group, groupsPerRow;
    private final byte[] codes;     // [rows, cols]
    private final float[] scales;   // [rows, groupsPerRow]

    public CompressedActivation(int rows, int cols, int group) {
        if (rows < 1 || cols < 1 || group < 1) throw new IllegalArgumentException("rows, cols and group must be positive: " + rows + ", " + cols + ", " + group);
        this.rows = rows; this.cols = cols; this.group = group;
        this.groupsPerRow = (cols + group - 1) / group;
        this.codes = new byte[Math.multiplyExact(rows, cols)];
        this.scales = new float[Math.multiplyExact(rows, groupsPerRow)];
    }

    /** Quantizes x [rows, cols] (the first rows * cols floats) into this store. */
    public void store(float[] x, Parallel par) {
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) storeRow(x, r);
        });
    }

    private void storeRow(float[] x, int r) {
        for (int g = 0; g < groupsPerRow; g++) {
            int from = r * cols + g * group, to = Math.min(from + group, (r + 1) * cols);
            float max = 0;
            for (int i = from; i < to; i++) max = Math.max(max, Math.abs(x[i]));
            float scale = max / 127f;
            scales[r * groupsPerRow + g] = scale;
            for (int i = from; i < to; i++) {
                // max == 0: every value is zero (or -0), stored as code 0
                float q = scale == 0f ? 0f : (float) Math.rint(x[i] / scale);
                codes[i] = (byte) Math.max(-127f, Math.min(127f, q));
            }
        }
    }

    /** Writes the dequantized values into out [rows, cols]. */
    public void load(float[] out, Parallel par) {
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int g = 0; g < groupsPerRow; g++) {
                    int start = r * cols + g * group, end = Math.min(start + group, (r + 1) * cols);
                    float scale = scales[r * groupsPerRow + g];
                    for (int i = start; i < end; i++) out[i] = codes[i] * scale;
                }
        });
    }

    /** The scale of the group holding element (r, c). */
    public float scale(int r, int c) { return scales[r * groupsPerRow + c / group]; }

    /** Bytes held: one per code, four per scale. */
    public long bytes() { return codes.length + 4L * scales.length; }
}
