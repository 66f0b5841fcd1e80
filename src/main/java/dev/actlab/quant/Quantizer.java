package dev.actlab.quant;

/**
 * A number format applied at a granularity, with a clip ratio in (0, 1] on the fitted range: the
 * fake quantization of one weight matrix or one block of activation rows. A format with a fixed
 * block (MX) always uses groups of that block.
 */
public record Quantizer(NumberFormat format, Granularity granularity, float clip) {
    public Quantizer {
        if (!(clip > 0 && clip <= 1)) throw new IllegalArgumentException("clip ratio must be in (0, 1], got " + clip);
        if (format.block() > 0) granularity = Granularity.group(format.block());
    }

    public Quantizer(NumberFormat format, Granularity granularity) { this(format, granularity, 1f); }

    public Quantizer withClip(float c) { return new Quantizer(format, granularity, c); }

    /** Scales along a row of cols values. */
    public int groupsPerRow(int cols) {
        return granularity.kind() == Granularity.Kind.GROUP ? (cols + granularity.size() - 1) / granularity.size() : 1;
    }

    /** Fake-quantizes x[off : off + rows * cols] ([rows, cols] row-major) in place. */
    public void apply(float[] x, int off, int rows, int cols) {
        if (granularity.kind() == Granularity.Kind.TENSOR) {
            GroupScale s = format.fit(x, off, rows * cols, clip);
            for (int i = off; i < off + rows * cols; i++) x[i] = format.quantize(x[i], s);
            return;
        }
        int g = granularity.groupLength(cols);
        for (int r = 0; r < rows; r++)
            for (int c0 = 0; c0 < cols; c0 += g) format.fakeQuant(x, off + r * cols + c0, Math.min(g, cols - c0), clip);
    }

    /**
     * Fake-quantizes a [rows, cols] matrix in place with one clip ratio per (row, group): clips is
     * [rows, groupsPerRow(cols)] (what a clipping search finds). Not for TENSOR granularity.
     */
    public void apply(float[] x, int rows, int cols, float[] clips) {
        if (granularity.kind() == Granularity.Kind.TENSOR) throw new IllegalArgumentException("per-group clip ratios need row or group granularity");
        int g = granularity.groupLength(cols), gpr = groupsPerRow(cols);
        if (clips.length != rows * gpr) throw new IllegalArgumentException(clips.length + " clip ratios for " + rows + " x " + gpr + " groups");
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < gpr; j++) format.fakeQuant(x, r * cols + j * g, Math.min(g, cols - j * g), clips[r * gpr + j]);
    }

    /** Average storage bits per value for rows of cols values (element bits plus scales). */
    public double bitsPerValue(int cols) { return format.bitsPerValue(granularity.groupLength(cols)); }

    /** "int4 g128", "int8 row", "mxfp4 g32", with the clip ratio when below 1. */
    @Override public String toString() {
        return format.name() + " " + granularity + (clip < 1 ? " clip " + clip : "");
    }
}
