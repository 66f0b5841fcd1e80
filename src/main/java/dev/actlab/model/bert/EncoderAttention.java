package dev.actlab.model.bert;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.Softmax;

/**
 * Bidirectional multi-head attention inside each sequence of a packed batch: sequence b owns rows
 * [off[b], off[b] + len[b]) of q, k, v, z [rows, heads, head_size], so a query only ever sees the
 * keys of its own sequence - the padding mask without any padding. Each (sequence, head) is one task
 * of two matrix products on strided views of the head's columns (tensor/Gemm, as training's causal
 * attention): scores [L, L] = Q K^T / sqrt(hs), a softmax per row, z [L, hs] = P V. Every element is
 * one FMA chain in index order, so the bits do not depend on the thread count.
 * When a hook listens to the scores or the pattern, that layer materializes [heads, len, len] per
 * sequence and fires it; the arithmetic is the same either way.
 */
final class EncoderAttention {
    /** Below this many multiply-adds per attention step (about tokens^2 x d) the step runs on the calling thread. */
    private static final long SERIAL_WORK = 1 << 20;

    private EncoderAttention() {}

    static void run(float[] q, float[] k, float[] v, float[] z, int[] off, int[] len, int heads, int hs,
                    int layer, SiteTable sites, Hook[] hk, Parallel par) {
        int scoresId = sites.id(HookSite.ATTN_SCORES, layer), patternId = sites.id(HookSite.ATTN_PATTERN, layer);
        Hook scoresHook = scoresId < 0 ? null : hk[scoresId];
        Hook patternHook = patternId < 0 ? null : hk[patternId];
        int batch = off.length, d = heads * hs;
        if (scoresHook == null && patternHook == null) {
            // a short batch-1 input is ~0.2M multiply-adds in all: one thread does it faster than a hand-over
            int tokens = off[batch - 1] + len[batch - 1];
            int minChunk = (long) tokens * tokens * heads * hs < SERIAL_WORK ? batch * heads : 1;
            par.forRange(batch * heads, minChunk, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int b = task / heads, h = task % heads, L = len[b];
                    float[] p = scratch(L * L);   // [L, L] scores, then probabilities
                    scores(q, k, off[b], L, d, h, hs, p, 0);
                    for (int i = 0; i < L; i++) Softmax.row(p, i * L, L);
                    mix(p, 0, v, z, off[b], L, d, h, hs);
                }
            });
            return;
        }
        for (int b = 0; b < batch; b++) {   // hooked: one sequence at a time, [heads, L, L] each
            int L = len[b], o = off[b];
            float[] scores = new float[heads * L * L];
            par.forRange(heads, 1, (from, to) -> {
                for (int h = from; h < to; h++) scores(q, k, o, L, d, h, hs, scores, h * L * L);
            });
            if (scoresHook != null) scoresHook.apply(new Activation(sites.name(scoresId), scores, 0, new int[]{heads, L, L}, 0, b));
            float[] pattern = scores.clone();
            for (int r = 0; r < heads * L; r++) Softmax.row(pattern, r * L, L);
            if (patternHook != null) patternHook.apply(new Activation(sites.name(patternId), pattern, 0, new int[]{heads, L, L}, 0, b));
            par.forRange(heads, 1, (from, to) -> {
                for (int h = from; h < to; h++) mix(pattern, h * L * L, v, z, o, L, d, h, hs);
            });
        }
    }

    /** s [L, L] at sOff = Q K^T / sqrt(hs) for head h of the sequence at rows [o, o + L) (rows d floats apart). */
    private static void scores(float[] q, float[] k, int o, int L, int d, int h, int hs, float[] s, int sOff) {
        int view = o * d + h * hs;
        Gemm.multiply(s, sOff, L, q, view, d, false, k, view, d, true, L, hs, L, Gemm.Zeros.C_BEFORE, Gemm.SERIAL);
        Softmax.divide(s, sOff, L * L, (float) Math.sqrt(hs));
    }

    /** z [L, hs] = P V for head h of the sequence at rows [o, o + L), P [L, L] at pOff. */
    private static void mix(float[] p, int pOff, float[] v, float[] z, int o, int L, int d, int h, int hs) {
        int view = o * d + h * hs;
        Gemm.multiply(z, view, d, p, pOff, L, false, v, view, d, false, L, L, hs, Gemm.Zeros.C_BEFORE, Gemm.SERIAL);
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's scratch of at least n floats, reused across calls. */
    private static float[] scratch(int n) {
        float[] f = SCRATCH.get();
        if (f.length < n) { f = new float[n]; SCRATCH.set(f); }
        return f;
    }
}
