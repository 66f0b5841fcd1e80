package dev.actlab.tensor;

import java.util.Arrays;

/**
 * Unmasked attention of one head over one sequence, on the rows of q, k, v, z [rows, heads, hs]:
 * the sequence owns rows [o, o + len). Queries go in groups of six, the rows of GemmKernel's 6 x 4
 * and 6 x 2 tiles: scores [6, keys] = Q K^T / sqrt(hs) (keys packed transposed, in panels of four
 * vectors and a narrower last one), a softmax per row, then z [6, hs] = P V (values packed in
 * panels of two vectors), all while the group's rows stay in L1. Every score and output is one FMA
 * chain in index order, so the three entry points (fused, scores only, mix of given probabilities)
 * give the same bits, and a row's bits do not depend on which rows share its group.
 * {@link #reference} is the definition in double.
 */
public final class EncoderAttentionKernel {
    private static final int P2 = GemmKernel.P2, P4 = GemmKernel.P4;
    /** Query rows per group: the rows of the 6 x 4 and 6 x 2 tiles. */
    private static final int QB = 6;

    private EncoderAttentionKernel() {}

    /** z [len, hs] of head h = softmax(Q K^T / sqrt(hs)) V over the sequence's rows [o, o + len). */
    public static void fused(float[] q, float[] k, float[] v, float[] z, int o, int len, int heads, int hs, int h) {
        head(q, k, v, z, o, len, heads * hs, h * hs, hs, null, 0, null, 0);
    }

    /** out[outOff ..] [len, len] = Q K^T / sqrt(hs) of head h over the sequence's rows [o, o + len). */
    public static void scores(float[] q, float[] k, int o, int len, int heads, int hs, int h, float[] out, int outOff) {
        head(q, k, null, null, o, len, heads * hs, h * hs, hs, out, outOff, null, 0);
    }

    /** z [len, hs] of head h = P V with the probabilities P [len, len] at p[pOff ..]. */
    public static void mix(float[] p, int pOff, float[] v, float[] z, int o, int len, int heads, int hs, int h) {
        head(null, null, v, z, o, len, heads * hs, h * hs, hs, null, 0, p, pOff);
    }

    /** One head: d = heads hs floats per row, the head's columns from hOff; scoresOut or patternIn select a part. */
    private static void head(float[] q, float[] k, float[] v, float[] z, int o, int len, int d, int hOff, int hs,
                             float[] scoresOut, int scoresOff, float[] patternIn, int patternOff) {
        // keys in panels of four vectors, the last one two vectors wide when that holds the rest (short
        // sequences: no 6 x 4 tile on mostly zero keys); keys padded with zeros whose scores are never used
        int wide = len / P4, rest = len - wide * P4, lastWidth = rest == 0 ? 0 : rest <= P2 ? P2 : P4, lp = wide * P4 + lastWidth;
        int valuePanels = (hs + P2 - 1) / P2;
        int ld = patternIn == null ? lp : len;   // row stride of the group's scores / probabilities
        Scratch s = Scratch.get(patternIn == null ? lp * hs : 0, scoresOut == null ? valuePanels * len * P2 : 0, QB * ld, hs);
        float[] kt = s.keys, vp = s.values, rows = s.rows, qt = s.queries, zt = s.out;
        if (patternIn == null) packKeys(kt, k, o, len, d, hOff, hs, lp);
        if (scoresOut == null) packValues(vp, v, o, len, d, hOff, hs, valuePanels);
        float sqrtHs = (float) Math.sqrt(hs);
        for (int i0 = 0; i0 < len; i0 += QB) {
            int real = Math.min(QB, len - i0);
            if (patternIn == null) {
                float[] a = q;
                int aOff = (o + i0) * d + hOff, lda = d;
                if (real < QB) {   // the last group: its rows copied, the missing ones zero (their scores are never used)
                    Arrays.fill(qt, 0, QB * hs, 0f);
                    for (int u = 0; u < real; u++) System.arraycopy(q, aOff + u * d, qt, u * hs, hs);
                    a = qt; aOff = 0; lda = hs;
                }
                for (int p = 0; p < (lastWidth == P4 ? wide + 1 : wide); p++) scoreTile(rows, p * P4, lp, a, aOff, lda, kt, p * P4 * hs, hs);
                if (lastWidth == P2) GemmKernel.rows6x2(rows, wide * P4, lp, true, a, aOff, lda, kt, wide * P4 * hs, hs);
                Softmax.divide(rows, 0, real * lp, sqrtHs);
                if (scoresOut != null) {
                    for (int u = 0; u < real; u++) System.arraycopy(rows, u * lp, scoresOut, scoresOff + (i0 + u) * len, len);
                    continue;
                }
                for (int u = 0; u < real; u++) Softmax.row(rows, u * lp, len);
            } else {
                System.arraycopy(patternIn, patternOff + i0 * len, rows, 0, real * len);
            }
            // rows past real hold an earlier group's values: their outputs are computed and dropped
            for (int p = 0; p < valuePanels; p++) {
                GemmKernel.rows6x2(zt, 0, P2, true, rows, 0, ld, vp, p * len * P2, len);
                int col = p * P2, width = Math.min(P2, hs - col);
                for (int u = 0; u < real; u++) System.arraycopy(zt, u * P2, z, (o + i0 + u) * d + hOff + col, width);
            }
        }
    }

    /**
     * Scores of the group's six queries against one panel of P4 keys: the 6 x 4 tile where 32 vector
     * registers hold its 24 accumulators; with 16 (AVX2), where it spills, two 6 x 2 tiles over the
     * panel's halves. Each score is the same FMA chain either way.
     */
    private static void scoreTile(float[] rows, int cOff, int lp, float[] a, int aOff, int lda, float[] kt, int kOff, int hs) {
        if (GemmKernel.L >= 16 || !KernelChoice.attentionHalfTiles) {
            GemmKernel.rows6x4(rows, cOff, lp, true, a, aOff, lda, kt, kOff, hs);
            return;
        }
        GemmKernel.rows6x2Strided(rows, cOff, lp, true, a, aOff, lda, kt, kOff, P4, hs);
        GemmKernel.rows6x2Strided(rows, cOff + P2, lp, true, a, aOff, lda, kt, kOff + P2, P4, hs);
    }

    /**
     * K of the head transposed into panels of keys: the panel of keys [j0, j0 + w) (w = P4, or P2
     * for a narrow last one) holds k[o + j0 + key, head column c] at kt[j0 hs + c w + key], zero past the last key.
     */
    private static void packKeys(float[] kt, float[] k, int o, int len, int d, int hOff, int hs, int lp) {
        for (int j0 = 0; j0 < lp; ) {
            int w = lp - j0 >= P4 ? P4 : P2, base = j0 * hs;
            for (int key = 0; key < w; key++) {
                int j = j0 + key;
                if (j < len) for (int c = 0, src = (o + j) * d + hOff; c < hs; c++) kt[base + c * w + key] = k[src + c];
                else for (int c = 0; c < hs; c++) kt[base + c * w + key] = 0f;
            }
            j0 += w;
        }
    }

    /** vp [panel][j][P2] = v[o + j, head column panel P2 + col], zero past the head's last column. */
    private static void packValues(float[] vp, float[] v, int o, int len, int d, int hOff, int hs, int panels) {
        for (int p = 0; p < panels; p++) {
            int col = p * P2, width = Math.min(P2, hs - col);
            for (int j = 0; j < len; j++) {
                int dst = (p * len + j) * P2;
                System.arraycopy(v, (o + j) * d + hOff + col, vp, dst, width);
                if (width < P2) Arrays.fill(vp, dst + width, dst + P2, 0f);
            }
        }
    }

    /** Per-thread scratch, grown on demand and reused: a head allocates nothing. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(Scratch::new);
        float[] keys = new float[0], values = new float[0], rows = new float[0], queries = new float[0], out = new float[QB * P2];

        /** This thread's scratch with room for keys, values, rows and QB query rows of hs. */
        static Scratch get(int keys, int values, int rows, int hs) {
            Scratch s = OF_THREAD.get();
            if (s.keys.length < keys) s.keys = new float[keys];
            if (s.values.length < values) s.values = new float[values];
            if (s.rows.length < rows) s.rows = new float[rows];
            if (s.queries.length < QB * hs) s.queries = new float[QB * hs];
            return s;
        }
    }

    /** z [len, hs] of head h = softmax(Q K^T / sqrt(hs)) V in double, over the rows [o, o + len). */
    public static double[] reference(float[] q, float[] k, float[] v, int o, int len, int heads, int hs, int h) {
        int d = heads * hs;
        double[] z = new double[len * hs];
        for (int i = 0; i < len; i++) {
            double[] p = new double[len];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < len; j++) {
                double s = 0;
                for (int c = 0; c < hs; c++) s += (double) q[(o + i) * d + h * hs + c] * k[(o + j) * d + h * hs + c];
                p[j] = s / Math.sqrt(hs);
                max = Math.max(max, p[j]);
            }
            for (int j = 0; j < len; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
            for (int c = 0; c < hs; c++) {
                double acc = 0;
                for (int j = 0; j < len; j++) acc += p[j] / sum * v[(o + j) * d + h * hs + c];
                z[i * hs + c] = acc;
            }
        }
        return z;
    }
}
