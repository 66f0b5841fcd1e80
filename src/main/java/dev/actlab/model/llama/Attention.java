package dev.actlab.model.llama;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Axpy;
import dev.actlab.tensor.AttentionRows;
import dev.actlab.tensor.Dot;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;

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
        if (n < DECODE_MAX && hs >= VECTOR_MIN && scoresHook == null && patternHook == null && KernelChoice.decodeAttention) {
            decode(c, q, keys, values, z, n, start, par);
            return;
        }
        // (head, query) rows per chunk: at least 4, and enough that a chunk has ~32K multiply-adds (tiny models and
        // short contexts run on the calling thread: a handoff would cost more than the work)
        int grain = (int) Math.max(4, Math.min(heads * n, (MIN_CHUNK_WORK + 2L * T * hs - 1) / (2L * T * hs)));
        if (scoresHook == null && patternHook == null) {
            par.forRange(heads * n, grain, (from, to) -> {
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
        par.forRange(heads * n, grain, (from, to) -> {
            for (int r = from; r < to; r++) scores(c, q, keys, att, r * T, r / n, r % n, start, T);
        });
        if (scoresHook != null) scoresHook.apply(new Activation(sites.name(scoresId), att, 0, new int[]{heads, n, T}, start, 0));
        for (int r = 0; r < heads * n; r++) softmax(att, r * T, start + r % n + 1, T);
        if (patternHook != null) patternHook.apply(new Activation(sites.name(patternId), att, 0, new int[]{heads, n, T}, start, 0));
        par.forRange(heads * n, grain, (from, to) -> {
            for (int r = from; r < to; r++) mix(c, values, att, r * T, z, r / n, r % n, start);
        });
    }

    private static final long MIN_CHUNK_WORK = 1 << 15;

    /** Queries up to which {@link #causal} takes the decode path (as the matmuls' decode kernels: n < 4). */
    static final int DECODE_MAX = 4;

    /**
     * A decode chunk holds at least this many multiply-adds: the 110M's attention stays on the calling thread below
     * ~340 positions. Split at 16K (2-6 chunks from 11 positions on), it measured 0.77-1.42 ms a token against 0.42-0.62
     * on one thread (110M F32, 16 + 64 tokens, DecodeProfile -DinDecode): the keys and values, just written by the
     * caller and evicted by the weights, cost more to share than the work saves.
     */
    static long decodeChunkWork = 1 << 18;   // not final: TokenPathTest splits the default decoder's heads with a small one

    /**
     * Decode, nothing listening to scores or pattern: the heads are cut into 1, 2, 4, 8 or 16 near-equal chunks (the
     * 110M's 12 heads: 1, 2, 4 or 6 chunks) of at least decodeChunkWork multiply-adds each; a chunk walks the cache
     * position by position, its heads' scores
     * ({@link AttentionRows#scoresAt}) then, after each head's softmax, its heads' z += p v in position order
     * ({@link Axpy#vector}). Every score, probability and z element has the arithmetic of {@link #scores}, {@link #softmax}
     * and {@link #mix} in the same order, so the same bits; but the cache is read as sequential rows, not a head's slice
     * of every row.
     */
    private static void decode(LlamaConfig c, float[] q, float[] keys, float[] values, float[] z, int n, int start, Parallel par) {
        int heads = c.heads(), hs = c.headSize(), kvDim = c.kvDim(), group = heads / c.kvHeads(), T = start + n;
        long work = 2L * T * hs * heads * n;
        int pieces = 1;
        while (pieces * 2 <= Math.min(heads, 16) && work / (pieces * 2) >= decodeChunkWork) pieces *= 2;
        int grain = (heads + pieces - 1) / pieces;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(heads, grain, (h0, h1) -> {
            float[] rows = new float[(h1 - h0) * T];   // [heads of the chunk, T]: scores, then probabilities
            for (int t = 0; t < n; t++) {
                int len = start + t + 1, qOff = t * heads * hs;
                for (int j = 0; j < len; j++) AttentionRows.scoresAt(j, q, qOff, keys, kvDim, group, hs, h0, h1, scale, rows, T);
                for (int h = h0; h < h1; h++) softmax(rows, (h - h0) * T, len, len);
                java.util.Arrays.fill(z, qOff + h0 * hs, qOff + h1 * hs, 0f);
                for (int j = 0; j < len; j++)
                    for (int h = h0; h < h1; h++) Axpy.vector(rows[(h - h0) * T + j], values, j * kvDim + (h / group) * hs, z, qOff + h * hs, hs);
            }
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
            row[off + j] = (vector ? Dot.vector(q, qOff, keys, kOff, hs) : Dot.scalar(q, qOff, keys, kOff, hs)) * scale;
        }
        for (int j = pos + 1; j < T; j++) row[off + j] = Float.NEGATIVE_INFINITY;
    }

    /** Heads at least this wide use the vector kernels (one vector or more per head); the score dots then round differently. */
    static final int VECTOR_MIN = 16;

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
        boolean vector = hs >= VECTOR_MIN;   // either gives the same bits
        for (int j = 0; j <= start + t; j++) {
            int vOff = j * kvDim + kvHead * hs;
            if (vector) Axpy.vector(p[off + j], values, vOff, z, zOff, hs);
            else Axpy.scalar(p[off + j], values, vOff, z, zOff, hs);
        }
    }
}
