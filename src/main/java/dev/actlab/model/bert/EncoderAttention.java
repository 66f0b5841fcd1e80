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

    /** Queries handled together: their accumulators are independent FMA chains sharing each load. */
    private static final int QB = 6;

    /**
     * One head of one sequence. Fused (scoresOut and patternIn null): scores, softmax, mix for QB
     * query rows at a time. With scoresOut: only the scaled scores [L, L] are written. With
     * patternIn: only the mix. A row's arithmetic does not depend on which rows share its group
     * (the last group repeats its final row to fill up), so every path gives the same bits.
     */
    private static void head(float[] q, float[] k, float[] v, float[] z, int o, int L, int heads, int hs, int h,
                             float[] scoresOut, int scoresOff, float[] patternIn, int patternOff) {
        int d = heads * hs;
        int Lp = (L + LANES - 1) / LANES * LANES;   // keys padded to whole vectors (padding keys are zero, never used)
        float sqrtHs = (float) Math.sqrt(hs);
        float[] kt = null;
        if (patternIn == null) {            // K of this head transposed: kt[c, j] = k[o + j, h, c]
            kt = new float[hs * Lp];
            for (int j = 0; j < L; j++)
                for (int c = 0; c < hs; c++) kt[c * Lp + j] = k[(o + j) * d + h * hs + c];
        }
        float[] rows = patternIn == null ? new float[QB * Lp] : null;   // [QB, Lp] scores, then probabilities
        int[] qOff = new int[QB], pOff = new int[QB];
        for (int i0 = 0; i0 < L; i0 += QB) {
            for (int u = 0; u < QB; u++) qOff[u] = (o + Math.min(i0 + u, L - 1)) * d + h * hs;
            int real = Math.min(QB, L - i0);
            if (patternIn == null) {
                scores(q, qOff, kt, hs, Lp, sqrtHs, rows);
                if (scoresOut != null) {
                    for (int u = 0; u < real; u++) System.arraycopy(rows, u * Lp, scoresOut, scoresOff + (i0 + u) * L, L);
                    continue;
                }
                for (int u = 0; u < real; u++) softmax(rows, u * Lp, L);
                for (int u = 0; u < QB; u++) pOff[u] = Math.min(u, real - 1) * Lp;
                mix(rows, pOff, v, o, L, d, h * hs, hs, z, qOff, real);
            } else {
                for (int u = 0; u < QB; u++) pOff[u] = patternOff + Math.min(i0 + u, L - 1) * L;
                mix(patternIn, pOff, v, o, L, d, h * hs, hs, z, qOff, real);
            }
        }
    }

    /**
     * rows[u, j] = q_u . k_j / sqrt(hs) for the QB queries at qOff and all Lp keys: per dimension c
     * four key vectors and six broadcast query values feed 24 FMAs (one chain per score, in order of c).
     */
    private static void scores(float[] q, int[] qOff, float[] kt, int hs, int Lp, float sqrtHs, float[] rows) {
        var s = VectorExp.S;
        int q0 = qOff[0], q1 = qOff[1], q2 = qOff[2], q3 = qOff[3], q4 = qOff[4], q5 = qOff[5];
        int j = 0;
        for (; j + 4 * LANES <= Lp; j += 4 * LANES) {
            FloatVector a00 = FloatVector.zero(s), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00,
                    a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00,
                    a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
            for (int c = 0; c < hs; c++) {
                int kOff = c * Lp + j;
                FloatVector k0 = FloatVector.fromArray(s, kt, kOff), k1 = FloatVector.fromArray(s, kt, kOff + LANES),
                        k2 = FloatVector.fromArray(s, kt, kOff + 2 * LANES), k3 = FloatVector.fromArray(s, kt, kOff + 3 * LANES);
                FloatVector b = FloatVector.broadcast(s, q[q0 + c]);
                a00 = k0.fma(b, a00); a01 = k1.fma(b, a01); a02 = k2.fma(b, a02); a03 = k3.fma(b, a03);
                b = FloatVector.broadcast(s, q[q1 + c]);
                a10 = k0.fma(b, a10); a11 = k1.fma(b, a11); a12 = k2.fma(b, a12); a13 = k3.fma(b, a13);
                b = FloatVector.broadcast(s, q[q2 + c]);
                a20 = k0.fma(b, a20); a21 = k1.fma(b, a21); a22 = k2.fma(b, a22); a23 = k3.fma(b, a23);
                b = FloatVector.broadcast(s, q[q3 + c]);
                a30 = k0.fma(b, a30); a31 = k1.fma(b, a31); a32 = k2.fma(b, a32); a33 = k3.fma(b, a33);
                b = FloatVector.broadcast(s, q[q4 + c]);
                a40 = k0.fma(b, a40); a41 = k1.fma(b, a41); a42 = k2.fma(b, a42); a43 = k3.fma(b, a43);
                b = FloatVector.broadcast(s, q[q5 + c]);
                a50 = k0.fma(b, a50); a51 = k1.fma(b, a51); a52 = k2.fma(b, a52); a53 = k3.fma(b, a53);
            }
            int r = j;
            a00.div(sqrtHs).intoArray(rows, r); a01.div(sqrtHs).intoArray(rows, r + LANES); a02.div(sqrtHs).intoArray(rows, r + 2 * LANES); a03.div(sqrtHs).intoArray(rows, r + 3 * LANES); r += Lp;
            a10.div(sqrtHs).intoArray(rows, r); a11.div(sqrtHs).intoArray(rows, r + LANES); a12.div(sqrtHs).intoArray(rows, r + 2 * LANES); a13.div(sqrtHs).intoArray(rows, r + 3 * LANES); r += Lp;
            a20.div(sqrtHs).intoArray(rows, r); a21.div(sqrtHs).intoArray(rows, r + LANES); a22.div(sqrtHs).intoArray(rows, r + 2 * LANES); a23.div(sqrtHs).intoArray(rows, r + 3 * LANES); r += Lp;
            a30.div(sqrtHs).intoArray(rows, r); a31.div(sqrtHs).intoArray(rows, r + LANES); a32.div(sqrtHs).intoArray(rows, r + 2 * LANES); a33.div(sqrtHs).intoArray(rows, r + 3 * LANES); r += Lp;
            a40.div(sqrtHs).intoArray(rows, r); a41.div(sqrtHs).intoArray(rows, r + LANES); a42.div(sqrtHs).intoArray(rows, r + 2 * LANES); a43.div(sqrtHs).intoArray(rows, r + 3 * LANES); r += Lp;
            a50.div(sqrtHs).intoArray(rows, r); a51.div(sqrtHs).intoArray(rows, r + LANES); a52.div(sqrtHs).intoArray(rows, r + 2 * LANES); a53.div(sqrtHs).intoArray(rows, r + 3 * LANES);
        }
        for (; j < Lp; j += LANES) {   // the last keys, one vector at a time
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            for (int c = 0; c < hs; c++) {
                FloatVector kv = FloatVector.fromArray(s, kt, c * Lp + j);
                a0 = kv.fma(FloatVector.broadcast(s, q[q0 + c]), a0);
                a1 = kv.fma(FloatVector.broadcast(s, q[q1 + c]), a1);
                a2 = kv.fma(FloatVector.broadcast(s, q[q2 + c]), a2);
                a3 = kv.fma(FloatVector.broadcast(s, q[q3 + c]), a3);
                a4 = kv.fma(FloatVector.broadcast(s, q[q4 + c]), a4);
                a5 = kv.fma(FloatVector.broadcast(s, q[q5 + c]), a5);
            }
            a0.div(sqrtHs).intoArray(rows, j); a1.div(sqrtHs).intoArray(rows, Lp + j); a2.div(sqrtHs).intoArray(rows, 2 * Lp + j);
            a3.div(sqrtHs).intoArray(rows, 3 * Lp + j); a4.div(sqrtHs).intoArray(rows, 4 * Lp + j); a5.div(sqrtHs).intoArray(rows, 5 * Lp + j);
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
     * first real of them are stored), vectorized over the head dimension, one chain per output in
     * order of j: two vectors of dimensions x six queries per step where they fit.
     */
    private static void mix(float[] p, int[] pOff, float[] v, int o, int L, int d, int hOff, int hs, float[] z, int[] zOff, int real) {
        var s = VectorExp.S;
        int p0 = pOff[0], p1 = pOff[1], p2 = pOff[2], p3 = pOff[3], p4 = pOff[4], p5 = pOff[5];
        int c = 0;
        for (; c + 2 * LANES <= hs; c += 2 * LANES) {
            FloatVector a00 = FloatVector.zero(s), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
                    a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
            for (int j = 0; j < L; j++) {
                int vOff = (o + j) * d + hOff + c;
                FloatVector v0 = FloatVector.fromArray(s, v, vOff), v1 = FloatVector.fromArray(s, v, vOff + LANES);
                FloatVector b = FloatVector.broadcast(s, p[p0 + j]); a00 = v0.fma(b, a00); a01 = v1.fma(b, a01);
                b = FloatVector.broadcast(s, p[p1 + j]); a10 = v0.fma(b, a10); a11 = v1.fma(b, a11);
                b = FloatVector.broadcast(s, p[p2 + j]); a20 = v0.fma(b, a20); a21 = v1.fma(b, a21);
                b = FloatVector.broadcast(s, p[p3 + j]); a30 = v0.fma(b, a30); a31 = v1.fma(b, a31);
                b = FloatVector.broadcast(s, p[p4 + j]); a40 = v0.fma(b, a40); a41 = v1.fma(b, a41);
                b = FloatVector.broadcast(s, p[p5 + j]); a50 = v0.fma(b, a50); a51 = v1.fma(b, a51);
            }
            // no array of vectors: that would box them
            a00.intoArray(z, zOff[0] + c); a01.intoArray(z, zOff[0] + c + LANES);
            if (real > 1) { a10.intoArray(z, zOff[1] + c); a11.intoArray(z, zOff[1] + c + LANES); }
            if (real > 2) { a20.intoArray(z, zOff[2] + c); a21.intoArray(z, zOff[2] + c + LANES); }
            if (real > 3) { a30.intoArray(z, zOff[3] + c); a31.intoArray(z, zOff[3] + c + LANES); }
            if (real > 4) { a40.intoArray(z, zOff[4] + c); a41.intoArray(z, zOff[4] + c + LANES); }
            if (real > 5) { a50.intoArray(z, zOff[5] + c); a51.intoArray(z, zOff[5] + c + LANES); }
        }
        for (; c + LANES <= hs; c += LANES) {
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            for (int j = 0; j < L; j++) {
                FloatVector vj = FloatVector.fromArray(s, v, (o + j) * d + hOff + c);
                a0 = vj.fma(FloatVector.broadcast(s, p[p0 + j]), a0);
                a1 = vj.fma(FloatVector.broadcast(s, p[p1 + j]), a1);
                a2 = vj.fma(FloatVector.broadcast(s, p[p2 + j]), a2);
                a3 = vj.fma(FloatVector.broadcast(s, p[p3 + j]), a3);
                a4 = vj.fma(FloatVector.broadcast(s, p[p4 + j]), a4);
                a5 = vj.fma(FloatVector.broadcast(s, p[p5 + j]), a5);
            }
            a0.intoArray(z, zOff[0] + c);
            if (real > 1) a1.intoArray(z, zOff[1] + c);
            if (real > 2) a2.intoArray(z, zOff[2] + c);
            if (real > 3) a3.intoArray(z, zOff[3] + c);
            if (real > 4) a4.intoArray(z, zOff[4] + c);
            if (real > 5) a5.intoArray(z, zOff[5] + c);
        }
        for (; c < hs; c++)
            for (int u = 0; u < real; u++) {
                float acc = 0;
                for (int j = 0; j < L; j++) acc = Math.fma(v[(o + j) * d + hOff + c], p[pOff[u] + j], acc);
                z[zOff[u] + c] = acc;
            }
    }
}
