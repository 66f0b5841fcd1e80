package dev.actlab.train;

import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.PairRotationKernel;
import dev.actlab.tensor.Parallel;

/**
 * RoPE on adjacent pairs (x[2i], x[2i+1]) of each head, frequency theta^(-2i/head_size), as
 * model/llama/Rope does for llama2.c and GGUF llama. Rows are [B, T] sequences: position = row % T.
 * A rotation is orthogonal, so the backward pass is the rotation by the opposite angle.
 */
public final class RotaryEmbedding {
    // [T, head_size], per pair i: (cos, cos), and the signed sines (-sin, sin) forward, (sin, -sin) backward
    private final float[] cosPairs, sinForward, sinBackward;
    private final int seqLen, headSize;

    public RotaryEmbedding(int seqLen, int headSize, float theta) {
        this.seqLen = seqLen; this.headSize = headSize;
        int half = headSize / 2;
        cosPairs = new float[seqLen * headSize];
        sinForward = new float[seqLen * headSize];
        sinBackward = new float[seqLen * headSize];
        for (int i = 0; i < half; i++) {
            float freq = (float) (1.0 / Math.pow(theta, (2.0 * i) / headSize));
            for (int pos = 0; pos < seqLen; pos++) {
                float angle = pos * freq;
                float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                int o = pos * headSize + 2 * i;
                cosPairs[o] = c; cosPairs[o + 1] = c;
                sinForward[o] = -s; sinForward[o + 1] = s;
                sinBackward[o] = s; sinBackward[o + 1] = -s;
            }
        }
    }

    /** x [N, heads, head_size] rotated in place, N = B * T. */
    public void forward(float[] x, int n, int heads) { forward(x, n, heads, Gemm.SERIAL); }

    /** {@link #forward(float[], int, int)} split over rows on par (each row is rotated alone: the same bits). */
    public void forward(float[] x, int n, int heads, Parallel par) { rotate(x, n, heads, sinForward, par); }

    /** dx [N, heads, head_size]: gradient after the rotation, turned in place into the gradient before it. */
    public void backward(float[] dx, int n, int heads) { backward(dx, n, heads, Gemm.SERIAL); }

    /** {@link #backward(float[], int, int)} split over rows on par. */
    public void backward(float[] dx, int n, int heads, Parallel par) { rotate(dx, n, heads, sinBackward, par); }

    private void rotate(float[] x, int n, int heads, float[] sinPairs, Parallel par) {
        par.forRange(n, ROWS_PER_CHUNK, (from, to) -> {
            for (int row = from; row < to; row++) {
                int t = (row % seqLen) * headSize;
                for (int h = 0; h < heads; h++) PairRotationKernel.rotate(x, (row * heads + h) * headSize, headSize, cosPairs, sinPairs, t);
            }
        });
    }

    private static final int ROWS_PER_CHUNK = 64;
}
