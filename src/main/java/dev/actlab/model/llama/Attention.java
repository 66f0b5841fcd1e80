package dev.actlab.model.llama;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Lanes;
import dev.actlab.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal multi-head attention with grouped-query heads over the KV cache. When a hook listens to
 * the scores or the pattern, the full [heads, n, T] matrix is materialized; otherwise each
 * (head, query) row is computed in a scratch row. The arithmetic is the same either way.
 */
final class Attention {
    private Attention() {}

    /**
     * q [n, heads, hs] (rotated), keys/values [T, kv_heads, hs] (cache), z [n, heads, hs] out.
     */
    static void causal(LlamaConfig c, float[] q, float[] keys, float[] values, float[] z,
                       int n, int start, int layer, SiteTable sites, Hook[] hk, Parallel par) {
        int heads = c.heads(), hs = c.headSize(), T = start + n;
        int scoresId = sites.id(HookSite.ATTN_SCORES, layer), patternId = sites.id(HookSite.ATTN_PATTERN, layer);
        Hook scoresHook = scoresId < 0 ? null : hk[scoresId];
        Hook patternHook = patternId < 0 ? null : hk[patternId];
        if (scoresHook == null && patternHook == null) {
            par.forRange(heads * n, 4, (from, to) -> {
                float[] row = new float[T];
                for (int r = from; r < to; r++) {
                    int h = r / n, t = r % n;
                    scores(c, q, keys, row, 0, h, t, start, T);
                    softmax(row, 0, start + t + 1, T);
                    mix(c, values, row, 0, z, h, t, start);
                }
            });
            return;
        }
        float[] att = new float[heads * n * T];   // [heads, n, T]
        par.forRange(heads * n, 4, (from, to) -> {
            for (int r = from; r < to; r++) scores(c, q, keys, att, r * T, r / n, r % n, start, T);
        });
        if (scoresHook != null) scoresHook.apply(new Activation(sites.name(scoresId), att, 0, new int[]{heads, n, T}, start, 0));
        for (int r = 0; r < heads * n; r++) softmax(att, r * T, start + r % n + 1, T);
        if (patternHook != null) patternHook.apply(new Activation(sites.name(patternId), att, 0, new int[]{heads, n, T}, start, 0));
        par.forRange(heads * n, 4, (from, to) -> {
            for (int r = from; r < to; r++) mix(c, values, att, r * T, z, r / n, r % n, start);
        });
    }

    /** row[off + j] = q . k_j / sqrt(hs) for j <= pos, -inf after (the causal mask). */
    private static void scores(LlamaConfig c, float[] q, float[] keys, float[] row, int off, int h, int t, int start, int T) {
        int hs = c.headSize(), kvDim = c.kvDim(), kvHead = h / (c.heads() / c.kvHeads());
        int qOff = (t * c.heads() + h) * hs;
        int pos = start + t;
        float scale = (float) (1.0 / Math.sqrt(hs));
        boolean vector = hs >= VECTOR_MIN;
        for (int j = 0; j <= pos; j++) {
            int kOff = j * kvDim + kvHead * hs;
            row[off + j] = (vector ? dotVector(q, qOff, keys, kOff, hs) : dotScalar(q, qOff, keys, kOff, hs)) * scale;
        }
        for (int j = pos + 1; j < T; j++) row[off + j] = Float.NEGATIVE_INFINITY;
    }

    /** Heads at least this wide use the Vector API (one vector or more per head). */
    static final int VECTOR_MIN = 16;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** One FMA chain over whole vectors, the fixed-order lane sum, then the scalar tail. */
    static float dotVector(float[] a, int aOff, float[] b, int bOff, int n) {
        int upper = S.loopBound(n), i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += S.length())
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        float s = Lanes.sum(acc);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** Softmax over row[off : off + len]; entries after len (masked) become 0. */
    private static void softmax(float[] row, int off, int len, int T) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) max = Math.max(max, row[off + j]);
        float sum = 0;
        for (int j = 0; j < len; j++) { float e = (float) Math.exp(row[off + j] - max); row[off + j] = e; sum += e; }
        float inv = 1f / sum;
        for (int j = 0; j < len; j++) row[off + j] *= inv;
        for (int j = len; j < T; j++) row[off + j] = 0;
    }

    /** z[t, h, :] = sum_j p_j v_j over the attended positions (per element: z += p_j * v_j in j order). */
    private static void mix(LlamaConfig c, float[] values, float[] p, int off, float[] z, int h, int t, int start) {
        int hs = c.headSize(), kvDim = c.kvDim(), kvHead = h / (c.heads() / c.kvHeads());
        int zOff = (t * c.heads() + h) * hs;
        for (int i = 0; i < hs; i++) z[zOff + i] = 0;
        int upper = hs >= VECTOR_MIN ? S.loopBound(hs) : 0;
        for (int j = 0; j <= start + t; j++) {
            float a = p[off + j];
            int vOff = j * kvDim + kvHead * hs;
            int i = 0;
            for (; i < upper; i += S.length())   // the same mul then add as the scalar loop, so the same bits
                FloatVector.fromArray(S, values, vOff + i).mul(a).add(FloatVector.fromArray(S, z, zOff + i)).intoArray(z, zOff + i);
            for (; i < hs; i++) z[zOff + i] += a * values[vOff + i];
        }
    }
}
