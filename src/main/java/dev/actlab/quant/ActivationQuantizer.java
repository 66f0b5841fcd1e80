package dev.actlab.quant;

/**
 * How the input rows of a matmul are fake-quantized at run time: dynamically, one scale per token
 * (granularity ROW) or per group of a token's features (GROUP), fitted to each row as it arrives;
 * or statically, one scale for the whole tensor (TENSOR), calibrated beforehand and fixed.
 *
 * @param staticScale the calibrated scale; required for TENSOR, null otherwise
 */
public record ActivationQuantizer(NumberFormat format, Granularity granularity, float clip, GroupScale staticScale) {
    public ActivationQuantizer {
        if (!(clip > 0 && clip <= 1)) throw new IllegalArgumentException("activation clip ratio must be in (0, 1], got " + clip);
        if (format.block() > 0) granularity = Granularity.group(format.block());
        if (granularity.kind() == Granularity.Kind.TENSOR && staticScale == null)
            throw new IllegalArgumentException("static per-tensor activation quantization needs a calibrated scale");
    }

    /** Per-token dynamic quantization. */
    public static ActivationQuantizer perToken(NumberFormat format, float clip) {
        return new ActivationQuantizer(format, Granularity.ROW, clip, null);
    }

    public boolean isStatic() { return granularity.kind() == Granularity.Kind.TENSOR; }

    /** Fake-quantizes x[off : off + n * cols] ([n, cols], one token per row) in place. */
    public void apply(float[] x, int off, int n, int cols) {
        if (isStatic()) {
            for (int i = off; i < off + n * cols; i++) x[i] = format.quantize(x[i], staticScale);
            return;
        }
        new Quantizer(format, granularity, clip).apply(x, off, n, cols);
    }

    /** "int4 per token", "int8 per tensor (static)", "mxfp4 g32 per token". */
    @Override public String toString() {
        String g = switch (granularity.kind()) { case TENSOR -> "per tensor (static)"; case ROW -> "per token"; case GROUP -> granularity + " per token"; };
        return format.name() + " " + g + (clip < 1 ? " clip " + clip : "");
    }
}
