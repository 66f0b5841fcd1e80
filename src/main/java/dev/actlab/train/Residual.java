package dev.actlab.train;

/** Residual connection: out = a + b. The gradient passes unchanged to both summands. */
public final class Residual {
    private Residual() {}

    /** out, a, b: [N, C] flattened, len = N * C; out may be a. */
    public static void forward(float[] out, float[] a, float[] b, int len) { forward(out, a, b, 0, len); }

    /** out[i] = a[i] + b[i] for i in [from, to). */
    public static void forward(float[] out, float[] a, float[] b, int from, int to) {
        for (int i = from; i < to; i++) out[i] = a[i] + b[i];
    }

    /** da += dOut, db += dOut. */
    public static void backward(float[] da, float[] db, float[] dOut, int len) {
        for (int i = 0; i < len; i++) { da[i] += dOut[i]; db[i] += dOut[i]; }
    }
}
