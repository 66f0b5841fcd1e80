package dev.actlab.train;

/**
 * RoPE on adjacent pairs (x[2i], x[2i+1]) of each head, frequency theta^(-2i/head_size), as
 * model/llama/Rope does for llama2.c and GGUF llama. Rows are [B, T] sequences: position = row % T.
 * A rotation is orthogonal, so the backward pass is the rotation by the opposite angle.
 */
public final class RotaryEmbedding {
    private final float[] cos, sin;   // [T, head_size / 2]
    private final int seqLen, headSize;

    public RotaryEmbedding(int seqLen, int headSize, float theta) {
        this.seqLen = seqLen; this.headSize = headSize;
        int half = headSize / 2;
        cos = new float[seqLen * half];
        sin = new float[seqLen * half];
        for (int i = 0; i < half; i++) {
            float freq = (float) (1.0 / Math.pow(theta, (2.0 * i) / headSize));
            for (int pos = 0; pos < seqLen; pos++) {
                float angle = pos * freq;
                cos[pos * half + i] = (float) Math.cos(angle);
                sin[pos * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** x [N, heads, head_size] rotated in place, N = B * T. */
    public void forward(float[] x, int n, int heads) { rotate(x, n, heads, 1); }

    /** dx [N, heads, head_size]: gradient after the rotation, turned in place into the gradient before it. */
    public void backward(float[] dx, int n, int heads) { rotate(dx, n, heads, -1); }

    private void rotate(float[] x, int n, int heads, int direction) {
        int half = headSize / 2;
        for (int row = 0; row < n; row++) {
            int pos = row % seqLen;
            for (int h = 0; h < heads; h++) {
                int base = (row * heads + h) * headSize;
                for (int i = 0; i < half; i++) {
                    float c = cos[pos * half + i], s = direction * sin[pos * half + i];
                    float v0 = x[base + 2 * i], v1 = x[base + 2 * i + 1];
                    x[base + 2 * i] = v0 * c - v1 * s;
                    x[base + 2 * i + 1] = v0 * s + v1 * c;
                }
            }
        }
    }
}
