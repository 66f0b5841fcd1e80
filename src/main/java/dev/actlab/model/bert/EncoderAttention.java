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

    /** Queries handled together: their accumulators are independent FMA chains that hide the FMA latency. */
    private static final int QB = 4;

    /**
     * One head of one sequence. Fused (scoresOut and patternIn null): scores, softmax, mix for QB
     * query rows at a time. With scoresOut: only the scaled scores [L, L] are written. With
     * patternIn: only the mix. A row's arithmetic does not depend on which rows share its group
     * (the last group repeats its final row to fill up), so every path gives the same bits.
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
        float[] rows = patternIn == null ? new float[QB * L] : null;   // [QB, L] scores, then probabilities
        int[] qOff = new int[QB], pOff = new int[QB];
        for (int i0 = 0; i0 < L; i0 += QB) {
            for (int u = 0; u < QB; u++) qOff[u] = (o + Math.min(i0 + u, L - 1)) * d + h * hs;
            int real = Math.min(QB, L - i0);
            if (patternIn == null) {
                scores(q, qOff, kt, hs, L, sqrtHs, rows);
                if (scoresOut != null) {
                    for (int u = 0; u < real; u++) System.arraycopy(rows, u * L, scoresOut, scoresOff + (i0 + u) * L, L);
                    continue;
                }
                for (int u = 0; u < real; u++) softmax(rows, u * L, L);
                for (int u = 0; u < QB; u++) pOff[u] = Math.min(u, real - 1) * L;
                mix(rows, pOff, v, o, L, d, h * hs, hs, z, qOff, real);
            } else {
                for (int u = 0; u < QB; u++) pOff[u] = patternOff + Math.min(i0 + u, L - 1) * L;
                mix(patternIn, pOff, v, o, L, d, h * hs, hs, z, qOff, real);
            }
        }
    }

    /** rows[u, j] = q_u . k_j / sqrt(hs) for the QB queries at qOff, vectorized over keys j. */
    private static void scores(float[] q, int[] qOff, float[] kt, int hs, int L, float sqrtHs, float[] rows) {
        var s = VectorExp.S;
        int q0 = qOff[0], q1 = qOff[1], q2 = qOff[2], q3 = qOff[3];
        int upper = s.loopBound(L);
        int j = 0;
        for (; j < upper; j += LANES) {
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < hs; c++) {
                FloatVector kv = FloatVector.fromArray(s, kt, c * L + j);
                a0 = kv.fma(FloatVector.broadcast(s, q[q0 + c]), a0);
                a1 = kv.fma(FloatVector.broadcast(s, q[q1 + c]), a1);
                a2 = kv.fma(FloatVector.broadcast(s, q[q2 + c]), a2);
                a3 = kv.fma(FloatVector.broadcast(s, q[q3 + c]), a3);
            }
            a0.div(sqrtHs).intoArray(rows, j);
            a1.div(sqrtHs).intoArray(rows, L + j);
            a2.div(sqrtHs).intoArray(rows, 2 * L + j);
            a3.div(sqrtHs).intoArray(rows, 3 * L + j);
        }
        for (; j < L; j++)
            for (int u = 0; u < QB; u++) {
                float acc = 0;
                for (int c = 0; c < hs; c++) acc = Math.fma(kt[c * L + j], q[qOff[u] + c], acc);
                rows[u * L + j] = acc / sqrtHs;
            }
    }

    /** In-place softmax of row[off, off + L). The max is exact in any order, so a vector max keeps the bits fixed. */
    static void softmax(float[] row, int off, int L) {
        var s = VectorExp.S;
        int upper = s.loopBound(L);
        FloatVector vmax = FloatVector.broadcast(s, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < upper; j += LANES) vmax = vmax.max(FloatVector.fromArray(s, row, off + j));
        float max = vmax.reduceLanes(jdk.incubator.vector.VectorOperators.MAX);
        for (; j < L; j++) max = Math.max(max, row[off + j]);
        FloatVector acc = FloatVector.zero(s);
        for (j = 0; j < upper; j += LANES) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(s, row, off + j).sub(max));
            e.intoArray(row, off + j);
            acc = acc.add(e);
        }
        float sum = Lanes.sum(acc);
        for (; j < L; j++) { float e = VectorExp.exp(row[off + j] - max); row[off + j] = e; sum += e; }
        float inv = 1f / sum;
        for (j = 0; j < upper; j += LANES) FloatVector.fromArray(s, row, off + j).mul(inv).intoArray(row, off + j);
        for (; j < L; j++) row[off + j] *= inv;
    }

    /**
     * z[row u, head] = sum_j p[pOff[u] + j] * v[o + j, head] for the QB query rows at zOff (the
     * first real of them are stored), vectorized over the head dimension, in order of j.
     */
    private static void mix(float[] p, int[] pOff, float[] v, int o, int L, int d, int hOff, int hs, float[] z, int[] zOff, int real) {
        var s = VectorExp.S;
        int p0 = pOff[0], p1 = pOff[1], p2 = pOff[2], p3 = pOff[3];
        int c = 0;
        for (int upper = s.loopBound(hs); c < upper; c += LANES) {
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < L; j++) {
                FloatVector vj = FloatVector.fromArray(s, v, (o + j) * d + hOff + c);
                a0 = vj.fma(FloatVector.broadcast(s, p[p0 + j]), a0);
                a1 = vj.fma(FloatVector.broadcast(s, p[p1 + j]), a1);
                a2 = vj.fma(FloatVector.broadcast(s, p[p2 + j]), a2);
                a3 = vj.fma(FloatVector.broadcast(s, p[p3 + j]), a3);
            }
            a0.intoArray(z, zOff[0] + c);   // no array of vectors: that would box them
            if (real > 1) a1.intoArray(z, zOff[1] + c);
            if (real > 2) a2.intoArray(z, zOff[2] + c);
            if (real > 3) a3.intoArray(z, zOff[3] + c);
        }
        for (; c < hs; c++)
            for (int u = 0; u < real; u++) {
                float acc = 0;
                for (int j = 0; j < L; j++) acc = Math.fma(v[(o + j) * d + hOff + c], p[pOff[u] + j], acc);
                z[zOff[u] + c] = acc;
            }
    }
}
