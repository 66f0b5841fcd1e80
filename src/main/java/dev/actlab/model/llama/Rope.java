package dev.actlab.model.llama;

/** Rotary position embedding. */
final class Rope {
    private Rope() {}

    /** Inverse frequencies theta^(-2i/head_size) for i in [0, head_size/2), with llama3 scaling if configured. */
    static float[] frequencies(LlamaConfig c) {
        int hs = c.headSize();
        float[] f = new float[hs / 2];
        for (int i = 0; i < hs / 2; i++) f[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / hs));
        LlamaConfig.RopeScaling s = c.ropeScaling();
        if (s != null) {
            double lowWavelen = s.originalContextLength() / s.lowFreqFactor();
            double highWavelen = s.originalContextLength() / s.highFreqFactor();
            for (int i = 0; i < f.length; i++) {
                double wavelen = 2 * Math.PI / f[i];
                if (wavelen < highWavelen) continue;
                if (wavelen > lowWavelen) { f[i] = f[i] / s.factor(); continue; }
                double smooth = (s.originalContextLength() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (float) ((1 - smooth) * f[i] / s.factor() + smooth * f[i]);
            }
        }
        return f;
    }

    /**
     * Prefill's cos and sin of (start + t) freq[i], [n, head_size / 2] each ({cos, sin}): the floats {@link #rotate}
     * computes per call, once per forward pass instead of once per q and k and layer (24 times on the 110M shape).
     */
    static float[][] table(int n, int start, float[] freq) {
        int half = freq.length;
        float[] cos = new float[n * half], sin = new float[n * half];
        for (int t = 0; t < n; t++) {
            int pos = start + t;
            for (int i = 0; i < half; i++) {
                float angle = pos * freq[i];
                cos[t * half + i] = (float) Math.cos(angle);
                sin[t * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][]{cos, sin};
    }

    /** {@link #rotate} with the cos and sin of {@link #table} (same values, same arithmetic, same bits). */
    static void rotate(float[] x, int n, int heads, int hs, float[][] table, boolean halfSplit) {
        int half = hs / 2;
        float[] cosT = table[0], sinT = table[1];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < half; i++) {
                float cos = cosT[t * half + i], sin = sinT[t * half + i];
                for (int h = 0; h < heads; h++) {
                    int base = (t * heads + h) * hs;
                    int a = halfSplit ? base + i : base + 2 * i;
                    int b = halfSplit ? base + i + half : a + 1;
                    float v0 = x[a], v1 = x[b];
                    x[a] = v0 * cos - v1 * sin;
                    x[b] = v0 * sin + v1 * cos;
                }
            }
        }
    }

    /**
     * Rotates each head of x [n, heads, head_size] by its position start + t. Adjacent pairs
     * (x[2i], x[2i+1]) or, when halfSplit, (x[i], x[i + head_size/2]) share frequency freq[i].
     */
    static void rotate(float[] x, int n, int heads, int hs, int start, float[] freq, boolean halfSplit) {
        rotate(x, n, heads, hs, table(n, start, freq), halfSplit);
    }
}
