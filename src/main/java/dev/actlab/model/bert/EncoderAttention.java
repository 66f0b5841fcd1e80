package dev.actlab.model.bert;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Lanes;
import dev.actlab.tensor.Parallel;
import jdk.incubator.vector.FloatVector;

/**
 * Bidirectional multi-head attention inside each sequence of a packed batch: sequence b owns rows
 * [off[b], off[b] + len[b]) of q, k, v, z [rows, heads, head_size], so a query only ever sees the
 * keys of its own sequence - the padding mask without any padding. Each (sequence, head) is one task;
 * scores are vectorized over keys (broadcast q, FMA against K transposed) and the weighted sum over
 * the head dimension, with no horizontal sums, so the bits do not depend on the thread count.
 * When a hook listens to the scores or the pattern, that layer materializes [heads, len, len] per
 * sequence and fires it; the arithmetic is the same either way.
 */
final class EncoderAttention {
    private static final int LANES = VectorExp.S.length();

    private EncoderAttention() {}

    static void run(float[] q, float[] k, float[] v, float[] z, int[] off, int[] len, int heads, int hs,
                    int layer, SiteTable sites, Hook[] hk, Parallel par) {
        int scoresId = sites.id(HookSite.ATTN_SCORES, layer), patternId = sites.id(HookSite.ATTN_PATTERN, layer);
        Hook scoresHook = scoresId < 0 ? null : hk[scoresId];
        Hook patternHook = patternId < 0 ? null : hk[patternId];
        int batch = off.length;
        if (scoresHook == null && patternHook == null) {
            par.forRange(batch * heads, 1, (from, to) -> {
                for (int task = from; task < to; task++) head(q, k, v, z, off[task / heads], len[task / heads], heads, hs, task % heads, null, 0, null, 0);
            });
            return;
        }
        for (int b = 0; b < batch; b++) {   // hooked: one sequence at a time, [heads, L, L] each
            int L = len[b], o = off[b];
            float[] scores = new float[heads * L * L];
            float[] pattern = new float[heads * L * L];
            par.forRange(heads, 1, (from, to) -> {
                for (int h = from; h < to; h++) head(q, k, v, null, o, L, heads, hs, h, scores, h * L * L, null, 0);
            });
            if (scoresHook != null) scoresHook.apply(new Activation(sites.name(scoresId), scores, 0, new int[]{heads, L, L}, 0, b));
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < L; i++) {
                    int r = (h * L + i) * L;
                    System.arraycopy(scores, r, pattern, r, L);
                    softmax(pattern, r, L);
                }
            if (patternHook != null) patternHook.apply(new Activation(sites.name(patternId), pattern, 0, new int[]{heads, L, L}, 0, b));
            par.forRange(heads, 1, (from, to) -> {
                for (int h = from; h < to; h++) head(q, k, v, z, o, L, heads, hs, h, null, 0, pattern, h * L * L);
            });
        }
    }

    /**
     * One head of one sequence. Fused (scoresOut and patternIn null): scores, softmax, mix per query
     * row. With scoresOut: only the scaled scores [L, L] are written. With patternIn: only the mix.
     */
    private static void head(float[] q, float[] k, float[] v, float[] z, int o, int L, int heads, int hs, int h,
                             float[] scoresOut, int scoresOff, float[] patternIn, int patternOff) {
        int d = heads * hs;
        float sqrtHs = (float) Math.sqrt(hs);
        float[] kt = null;
        if (patternIn == null) {            // K of this head transposed: kt[c, j] = k[o + j, h, c]
            kt = new float[hs * L];
            for (int j = 0; j < L; j++)
                for (int c = 0; c < hs; c++) kt[c * L + j] = k[(o + j) * d + h * hs + c];
        }
        float[] row = new float[L];
        for (int i = 0; i < L; i++) {
            int qOff = (o + i) * d + h * hs;
            if (patternIn == null) {
                scores(q, qOff, kt, hs, L, sqrtHs, row);
                if (scoresOut != null) { System.arraycopy(row, 0, scoresOut, scoresOff + i * L, L); continue; }
                softmax(row, 0, L);
                mix(row, 0, v, o, L, d, h * hs, hs, z, qOff);
            } else {
                mix(patternIn, patternOff + i * L, v, o, L, d, h * hs, hs, z, qOff);
            }
        }
    }

    /** row[j] = q . k_j / sqrt(hs), vectorized over j. */
    private static void scores(float[] q, int qOff, float[] kt, int hs, int L, float sqrtHs, float[] row) {
        var s = VectorExp.S;
        int upper = s.loopBound(L);
        int j = 0;
        for (; j < upper; j += LANES) {
            FloatVector acc = FloatVector.zero(s);
            for (int c = 0; c < hs; c++) acc = FloatVector.fromArray(s, kt, c * L + j).fma(FloatVector.broadcast(s, q[qOff + c]), acc);
            acc.div(sqrtHs).intoArray(row, j);
        }
        for (; j < L; j++) {
            float acc = 0;
            for (int c = 0; c < hs; c++) acc = Math.fma(kt[c * L + j], q[qOff + c], acc);
            row[j] = acc / sqrtHs;
        }
    }

    /** In-place softmax of row[off, off + L). */
    static void softmax(float[] row, int off, int L) {
        var s = VectorExp.S;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < L; j++) max = Math.max(max, row[off + j]);
        int upper = s.loopBound(L);
        FloatVector acc = FloatVector.zero(s);
        int j = 0;
        for (; j < upper; j += LANES) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(s, row, off + j).sub(max));
            e.intoArray(row, off + j);
            acc = acc.add(e);
        }
        float sum = Lanes.sum(acc);
        for (; j < L; j++) { float e = VectorExp.exp(row[off + j] - max); row[off + j] = e; sum += e; }
        float inv = 1f / sum;
        for (j = 0; j < L; j++) row[off + j] *= inv;
    }

    /** z[zOff : zOff + hs] = sum_j p[pOff + j] * v[o + j, head] (hs a multiple of the lane count, or scalar). */
    private static void mix(float[] p, int pOff, float[] v, int o, int L, int d, int hOff, int hs, float[] z, int zOff) {
        var s = VectorExp.S;
        if (hs % LANES == 0 && hs <= 4 * LANES) {
            int nv = hs / LANES;
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < L; j++) {
                FloatVector pj = FloatVector.broadcast(s, p[pOff + j]);
                int vOff = (o + j) * d + hOff;
                a0 = FloatVector.fromArray(s, v, vOff).fma(pj, a0);
                if (nv > 1) a1 = FloatVector.fromArray(s, v, vOff + LANES).fma(pj, a1);
                if (nv > 2) a2 = FloatVector.fromArray(s, v, vOff + 2 * LANES).fma(pj, a2);
                if (nv > 3) a3 = FloatVector.fromArray(s, v, vOff + 3 * LANES).fma(pj, a3);
            }
            a0.intoArray(z, zOff);
            if (nv > 1) a1.intoArray(z, zOff + LANES);
            if (nv > 2) a2.intoArray(z, zOff + 2 * LANES);
            if (nv > 3) a3.intoArray(z, zOff + 3 * LANES);
            return;
        }
        for (int c = 0; c < hs; c++) {
            float acc = 0;
            for (int j = 0; j < L; j++) acc = Math.fma(v[(o + j) * d + hOff + c], p[pOff + j], acc);
            z[zOff + c] = acc;
        }
    }
}
