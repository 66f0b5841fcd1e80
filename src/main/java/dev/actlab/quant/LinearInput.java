package dev.actlab.quant;

import dev.actlab.tensor.Parallel;

/**
 * What happens to a matmul's input rows at run time before the product, in this order: an online
 * rotation (QuaRot's Hadamard before the down projection), a fixed noise vector added (NoisyQuant),
 * and fake quantization (activation quantization). Any part may be absent; {@link #IDENTITY} has none.
 *
 * @param rotation   orthogonal transform applied to each row, or null
 * @param noise      [cols] added to each row before quantization, or null
 * @param quantizer  activation fake quantization, or null
 */
public record LinearInput(Rotation rotation, float[] noise, ActivationQuantizer quantizer) {
    public static final LinearInput IDENTITY = new LinearInput(null, null, null);

    public boolean isIdentity() { return rotation == null && noise == null && quantizer == null; }

    public LinearInput withRotation(Rotation r) { return new LinearInput(r, noise, quantizer); }
    public LinearInput withNoise(float[] n) { return new LinearInput(rotation, n, quantizer); }
    public LinearInput withQuantizer(ActivationQuantizer q) { return new LinearInput(rotation, noise, q); }

    /** Transforms x[0 : n * cols] ([n, cols]) in place, rows split over threads (each row by one thread: any thread count, same bits). */
    public void apply(float[] x, int n, int cols, Parallel par) {
        if (isIdentity()) return;
        par.forRange(n, 4, (from, to) -> {
            for (int t = from; t < to; t++) applyRow(x, t * cols, cols);
        });
    }

    /** Transforms one row x[off : off + cols] in place. */
    public void applyRow(float[] x, int off, int cols) {
        if (rotation != null) rotation.apply(x, off);
        if (noise != null) for (int i = 0; i < cols; i++) x[off + i] += noise[i];
        if (quantizer != null) quantizer.apply(x, off, 1, cols);
    }

    /** "hadamard 512 + int4 per token", or "-" when there is nothing. */
    @Override public String toString() {
        if (isIdentity()) return "-";
        StringBuilder b = new StringBuilder();
        if (rotation != null) b.append(rotation);
        if (noise != null) b.append(b.isEmpty() ? "" : " + ").append("noise");
        if (quantizer != null) b.append(b.isEmpty() ? "" : " + ").append(quantizer);
        return b.toString();
    }
}
