package dev.actlab.model.bert;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.EncoderAttentionKernel;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.Softmax;

/**
 * Bidirectional multi-head attention inside each sequence of a packed batch: sequence b owns rows
 * [off[b], off[b] + len[b]) of q, k, v, z [rows, heads, head_size], so a query only ever sees the
 * keys of its own sequence - the padding mask without any padding. Each (sequence, head) is one task
 * of tensor/EncoderAttentionKernel, whose bits do not depend on the thread count.
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
        int batch = off.length;
        if (scoresHook == null && patternHook == null) {
            // a short batch-1 input is ~0.2M multiply-adds in all: one thread does it faster than a hand-over
            int tokens = off[batch - 1] + len[batch - 1];
            int minChunk = (long) tokens * tokens * heads * hs < SERIAL_WORK ? batch * heads : 1;
            par.forRange(batch * heads, minChunk, (from, to) -> {
                for (int task = from; task < to; task++)
                    EncoderAttentionKernel.fused(q, k, v, z, off[task / heads], len[task / heads], heads, hs, task % heads);
            });
            return;
        }
        for (int b = 0; b < batch; b++) {   // hooked: one sequence at a time, [heads, L, L] each
            int L = len[b], o = off[b];
            float[] scores = new float[heads * L * L];
            par.forRange(heads, 1, (from, to) -> {
                for (int h = from; h < to; h++) EncoderAttentionKernel.scores(q, k, o, L, heads, hs, h, scores, h * L * L);
            });
            if (scoresHook != null) scoresHook.apply(new Activation(sites.name(scoresId), scores, 0, new int[]{heads, L, L}, 0, b));
            float[] pattern = scores.clone();
            for (int r = 0; r < heads * L; r++) Softmax.row(pattern, r * L, L);
            if (patternHook != null) patternHook.apply(new Activation(sites.name(patternId), pattern, 0, new int[]{heads, L, L}, 0, b));
            par.forRange(heads, 1, (from, to) -> {
                for (int h = from; h < to; h++) EncoderAttentionKernel.mix(pattern, h * L * L, v, z, o, L, heads, hs, h);
            });
        }
    }
}
