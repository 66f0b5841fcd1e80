package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 weights W [rows, cols] stored transposed in panels of {@link #PANEL} output rows:
 * panel p holds W[p*PANEL + j, k] at [p][k][j] (zero-padded past the last row). Made for many
 * tokens at once (encoder batches, prefill): matmul is an outer-product GEMM whose register tile
 * is 6 tokens x 4 vectors of outputs (4, 2, 1 tokens for the rest) - per k one broadcast of x per token and 4 weight loads
 * feed 24 FMAs, with no horizontal sums. Every output is one FMA chain over k in order, started at
 * zero, computed by one thread: the bits do not depend on the thread count, the tile, or n.
 */
public final class F32PanelMatrix implements WeightMatrix {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Output rows per panel: four vectors. */
    public static final int PANEL = 4 * L;
    private static final int TILE = 6;          // tokens per register tile
    /** 32 vector registers hold the 6- and 4-token tiles' 24 and 16 accumulators; with 16 (AVX2) they spill: 2-token tiles there. */
    private static final boolean WIDE = L >= 16 || Boolean.getBoolean("actlab.panelWide");
    private static final int TOKEN_BLOCK = 48;
    private static final int KC = 96;           // k per chunk: 96 x PANEL floats = 24 KB (AVX-512), in L1  // tokens per task: the panel (K x PANEL floats) stays in L2 across them

    private final float[] panels;   // [panels][cols][PANEL]
    private final int rows, cols, numPanels;

    private F32PanelMatrix(float[] panels, int rows, int cols) {
        this.panels = panels; this.rows = rows; this.cols = cols; this.numPanels = (rows + PANEL - 1) / PANEL;
    }

    /** From W^T stored row-major as [cols, rows] (ONNX MatMul weights are [in, out], i.e. this layout). */
    public static F32PanelMatrix fromTransposed(float[] wt, int rows, int cols) {
        if (wt.length != (long) rows * cols) throw new IllegalArgumentException("W^T has " + wt.length + " values, [" + cols + ", " + rows + "] needs " + (long) rows * cols);
        int np = (rows + PANEL - 1) / PANEL;
        float[] p = new float[Math.multiplyExact(np * PANEL, cols)];
        for (int k = 0; k < cols; k++)
            for (int r = 0; r < rows; r++) p[((r / PANEL) * cols + k) * PANEL + r % PANEL] = wt[k * rows + r];
        return new F32PanelMatrix(p, rows, cols);
    }

    /** Repacks any weight matrix (row-major, quantized or not) into panels, as float32. */
    public static F32PanelMatrix of(WeightMatrix w) {
        int rows = w.rows(), cols = w.cols(), np = (rows + PANEL - 1) / PANEL;
        float[] p = new float[Math.multiplyExact(np * PANEL, cols)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int k = 0; k < cols; k++) p[((r / PANEL) * cols + k) * PANEL + r % PANEL] = row[k];
        }
        return new F32PanelMatrix(p, rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.F32; }
    @Override public long byteSize() { return (long) rows * cols * 4; }

    private int at(int row, int k) { return ((row / PANEL) * cols + k) * PANEL + row % PANEL; }

    /** The same FMA chain over k as {@link #matmul}, so single dots and batches agree bit for bit. */
    @Override public float dot(int row, float[] x, int xOff) {
        float acc = 0;
        int base = at(row, 0);
        for (int k = 0; k < cols; k++) acc = Math.fma(panels[base + k * PANEL], x[xOff + k], acc);
        return acc;
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        float acc = 0;
        for (int k = 0; k < cols; k++) acc = Math.fma(panels[at(row, k)], x[xOff + k], acc);
        return acc;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        for (int k = 0; k < cols; k++) dst[off + k] = panels[at(row, k)];
    }

    /** An element-wise step (an activation) on finished outputs y[from, to), run inside the matmul's tasks while they are in cache. */
    @FunctionalInterface
    public interface Epilogue { void apply(float[] y, int from, int to); }

    /** out[t, r] = W[r, :] . x[t, :]; tasks are (panel, block of tokens) pairs. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        matmulAll(new F32PanelMatrix[]{this}, x, n, new float[][]{out}, new float[][]{null}, null, par);
    }

    /** out[t, r] = bias[r] + W[r, :] . x[t, :], then epilogue (if any) on the finished outputs; bias may be null. */
    public void matmul(float[] x, int n, float[] out, float[] bias, Epilogue epilogue, Parallel par) {
        matmulAll(new F32PanelMatrix[]{this}, x, n, new float[][]{out}, new float[][]{bias}, epilogue, par);
    }

    /**
     * Several matrices with the same cols on the same x [n, cols] (an encoder's Q, K and V) in one
     * parallel call: one dispatch instead of three, and more tasks to balance. outs[m] [n, rows_m] =
     * biases[m] + W_m x, then epilogue. Each output's arithmetic is what a lone matmul does.
     */
    public static void matmulAll(F32PanelMatrix[] ms, float[] x, int n, float[][] outs, float[][] biases, Epilogue epilogue, Parallel par) {
        int blocks = (n + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
        int[] firstTask = new int[ms.length + 1];   // matrix m owns tasks [firstTask[m], firstTask[m + 1])
        for (int m = 0; m < ms.length; m++) {
            if (ms[m].cols != ms[0].cols) throw new IllegalArgumentException("matrices of " + ms[0].cols + " and " + ms[m].cols + " columns");
            if (biases[m] != null && biases[m].length != ms[m].rows) throw new IllegalArgumentException("bias of " + biases[m].length + " for " + ms[m].rows + " rows");
            firstTask[m + 1] = firstTask[m] + ms[m].numPanels * blocks;
        }
        par.forRange(firstTask[ms.length], 1, (from, to) -> {
            float[] tmp = null;
            int m = 0;
            for (int task = from; task < to; task++) {
                while (task >= firstTask[m + 1]) m++;
                F32PanelMatrix w = ms[m];
                int local = task - firstTask[m];
                if (w.rows % PANEL != 0 && tmp == null) tmp = new float[TOKEN_BLOCK * PANEL];
                w.task(local % w.numPanels, local / w.numPanels * TOKEN_BLOCK, x, n, outs[m], biases[m], epilogue, tmp);
            }
        });
    }

    /** One panel p for the tokens [t0, t0 + TOKEN_BLOCK) of n; tmp holds a partial panel. */
    private void task(int p, int t0, float[] x, int n, float[] out, float[] bias, Epilogue epilogue, float[] tmp) {
        int t1 = Math.min(n, t0 + TOKEN_BLOCK);
        int o = p * PANEL, valid = Math.min(PANEL, rows - o);
        float[] dst = out;
        int dstStride = rows, dstOff = o;
        if (valid < PANEL) {   // the last, partial panel: compute full width into scratch, copy the valid part
            dst = tmp; dstStride = PANEL; dstOff = -t0 * PANEL;
        }
        // k in chunks of KC: the panel's chunk (KC x PANEL floats) stays in L1 for all the block's
        // tiles, so the weights come from memory once per block. Partial sums wait in out as floats,
        // which changes no bit: each output is still one FMA chain over k in order.
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int k1 = Math.min(cols, k0 + KC);
            int t = t0;
            if (WIDE) {
                for (; t + TILE <= t1; t += TILE) tile6(x, t, p, dst, dstOff + t * dstStride, dstStride, k0, k1);
                if (t + 4 <= t1) { tile4(x, t, p, dst, dstOff + t * dstStride, dstStride, k0, k1); t += 4; }
            }
            for (; t + 2 <= t1; t += 2) tile2(x, t, p, dst, dstOff + t * dstStride, dstStride, k0, k1);
            if (t < t1) tile1(x, t, p, dst, dstOff + t * dstStride, k0, k1);
        }
        if (dst == tmp)
            for (int u = t0; u < t1; u++) System.arraycopy(tmp, (u - t0) * PANEL, out, u * rows + o, valid);
        if (bias == null && epilogue == null) return;
        for (int u = t0; u < t1; u++) {   // the finished outputs of this task, still in L1
            int r = u * rows + o, j = 0;
            if (bias != null) {
                for (; j + L <= valid; j += L)   // bias + y: the order the ONNX graph adds
                    FloatVector.fromArray(S, bias, o + j).add(FloatVector.fromArray(S, out, r + j)).intoArray(out, r + j);
                for (; j < valid; j++) out[r + j] = bias[o + j] + out[r + j];
            }
            if (epilogue != null) epilogue.apply(out, r, r + valid);
        }
    }

    /** The running sums of 16 outputs: zero at the first k chunk, else what the previous chunk stored. */
    private static FloatVector acc(float[] out, int off, boolean first) {
        return first ? FloatVector.zero(S) : FloatVector.fromArray(S, out, off);
    }

    /** Six tokens x one panel: 24 accumulators. */
    private void tile6(float[] x, int t, int p, float[] out, int oOff, int stride, int k0, int k1) {
        final int K = cols;
        int x0 = t * K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K, x4 = x3 + K, x5 = x4 + K;
        boolean first = k0 == 0;
        int r = oOff;
        FloatVector c00 = acc(out, r, first), c01 = acc(out, r + L, first), c02 = acc(out, r + 2 * L, first), c03 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c10 = acc(out, r, first), c11 = acc(out, r + L, first), c12 = acc(out, r + 2 * L, first), c13 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c20 = acc(out, r, first), c21 = acc(out, r + L, first), c22 = acc(out, r + 2 * L, first), c23 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c30 = acc(out, r, first), c31 = acc(out, r + L, first), c32 = acc(out, r + 2 * L, first), c33 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c40 = acc(out, r, first), c41 = acc(out, r + L, first), c42 = acc(out, r + 2 * L, first), c43 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c50 = acc(out, r, first), c51 = acc(out, r + L, first), c52 = acc(out, r + 2 * L, first), c53 = acc(out, r + 3 * L, first);
        int w = (p * K + k0) * PANEL;
        for (int k = k0; k < k1; k++, w += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, panels, w), w1 = FloatVector.fromArray(S, panels, w + L),
                    w2 = FloatVector.fromArray(S, panels, w + 2 * L), w3 = FloatVector.fromArray(S, panels, w + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c00 = w0.fma(b, c00); c01 = w1.fma(b, c01); c02 = w2.fma(b, c02); c03 = w3.fma(b, c03);
            b = FloatVector.broadcast(S, x[x1 + k]);
            c10 = w0.fma(b, c10); c11 = w1.fma(b, c11); c12 = w2.fma(b, c12); c13 = w3.fma(b, c13);
            b = FloatVector.broadcast(S, x[x2 + k]);
            c20 = w0.fma(b, c20); c21 = w1.fma(b, c21); c22 = w2.fma(b, c22); c23 = w3.fma(b, c23);
            b = FloatVector.broadcast(S, x[x3 + k]);
            c30 = w0.fma(b, c30); c31 = w1.fma(b, c31); c32 = w2.fma(b, c32); c33 = w3.fma(b, c33);
            b = FloatVector.broadcast(S, x[x4 + k]);
            c40 = w0.fma(b, c40); c41 = w1.fma(b, c41); c42 = w2.fma(b, c42); c43 = w3.fma(b, c43);
            b = FloatVector.broadcast(S, x[x5 + k]);
            c50 = w0.fma(b, c50); c51 = w1.fma(b, c51); c52 = w2.fma(b, c52); c53 = w3.fma(b, c53);
        }
        r = oOff;
        c00.intoArray(out, r); c01.intoArray(out, r + L); c02.intoArray(out, r + 2 * L); c03.intoArray(out, r + 3 * L); r += stride;
        c10.intoArray(out, r); c11.intoArray(out, r + L); c12.intoArray(out, r + 2 * L); c13.intoArray(out, r + 3 * L); r += stride;
        c20.intoArray(out, r); c21.intoArray(out, r + L); c22.intoArray(out, r + 2 * L); c23.intoArray(out, r + 3 * L); r += stride;
        c30.intoArray(out, r); c31.intoArray(out, r + L); c32.intoArray(out, r + 2 * L); c33.intoArray(out, r + 3 * L); r += stride;
        c40.intoArray(out, r); c41.intoArray(out, r + L); c42.intoArray(out, r + 2 * L); c43.intoArray(out, r + 3 * L); r += stride;
        c50.intoArray(out, r); c51.intoArray(out, r + L); c52.intoArray(out, r + 2 * L); c53.intoArray(out, r + 3 * L);
    }

    /** Four tokens x one panel: 16 accumulators. */
    private void tile4(float[] x, int t, int p, float[] out, int oOff, int stride, int k0, int k1) {
        final int K = cols;
        int x0 = t * K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
        boolean first = k0 == 0;
        int r = oOff;
        FloatVector c00 = acc(out, r, first), c01 = acc(out, r + L, first), c02 = acc(out, r + 2 * L, first), c03 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c10 = acc(out, r, first), c11 = acc(out, r + L, first), c12 = acc(out, r + 2 * L, first), c13 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c20 = acc(out, r, first), c21 = acc(out, r + L, first), c22 = acc(out, r + 2 * L, first), c23 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c30 = acc(out, r, first), c31 = acc(out, r + L, first), c32 = acc(out, r + 2 * L, first), c33 = acc(out, r + 3 * L, first);
        int w = (p * K + k0) * PANEL;
        for (int k = k0; k < k1; k++, w += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, panels, w), w1 = FloatVector.fromArray(S, panels, w + L),
                    w2 = FloatVector.fromArray(S, panels, w + 2 * L), w3 = FloatVector.fromArray(S, panels, w + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c00 = w0.fma(b, c00); c01 = w1.fma(b, c01); c02 = w2.fma(b, c02); c03 = w3.fma(b, c03);
            b = FloatVector.broadcast(S, x[x1 + k]);
            c10 = w0.fma(b, c10); c11 = w1.fma(b, c11); c12 = w2.fma(b, c12); c13 = w3.fma(b, c13);
            b = FloatVector.broadcast(S, x[x2 + k]);
            c20 = w0.fma(b, c20); c21 = w1.fma(b, c21); c22 = w2.fma(b, c22); c23 = w3.fma(b, c23);
            b = FloatVector.broadcast(S, x[x3 + k]);
            c30 = w0.fma(b, c30); c31 = w1.fma(b, c31); c32 = w2.fma(b, c32); c33 = w3.fma(b, c33);
        }
        r = oOff;
        c00.intoArray(out, r); c01.intoArray(out, r + L); c02.intoArray(out, r + 2 * L); c03.intoArray(out, r + 3 * L); r += stride;
        c10.intoArray(out, r); c11.intoArray(out, r + L); c12.intoArray(out, r + 2 * L); c13.intoArray(out, r + 3 * L); r += stride;
        c20.intoArray(out, r); c21.intoArray(out, r + L); c22.intoArray(out, r + 2 * L); c23.intoArray(out, r + 3 * L); r += stride;
        c30.intoArray(out, r); c31.intoArray(out, r + L); c32.intoArray(out, r + 2 * L); c33.intoArray(out, r + 3 * L);
    }

    /** Two tokens x one panel: 8 accumulators. */
    private void tile2(float[] x, int t, int p, float[] out, int oOff, int stride, int k0, int k1) {
        final int K = cols;
        int x0 = t * K, x1 = x0 + K;
        boolean first = k0 == 0;
        int r = oOff;
        FloatVector c00 = acc(out, r, first), c01 = acc(out, r + L, first), c02 = acc(out, r + 2 * L, first), c03 = acc(out, r + 3 * L, first);
        r += stride;
        FloatVector c10 = acc(out, r, first), c11 = acc(out, r + L, first), c12 = acc(out, r + 2 * L, first), c13 = acc(out, r + 3 * L, first);
        int w = (p * K + k0) * PANEL;
        for (int k = k0; k < k1; k++, w += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, panels, w), w1 = FloatVector.fromArray(S, panels, w + L),
                    w2 = FloatVector.fromArray(S, panels, w + 2 * L), w3 = FloatVector.fromArray(S, panels, w + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c00 = w0.fma(b, c00); c01 = w1.fma(b, c01); c02 = w2.fma(b, c02); c03 = w3.fma(b, c03);
            b = FloatVector.broadcast(S, x[x1 + k]);
            c10 = w0.fma(b, c10); c11 = w1.fma(b, c11); c12 = w2.fma(b, c12); c13 = w3.fma(b, c13);
        }
        r = oOff;
        c00.intoArray(out, r); c01.intoArray(out, r + L); c02.intoArray(out, r + 2 * L); c03.intoArray(out, r + 3 * L); r += stride;
        c10.intoArray(out, r); c11.intoArray(out, r + L); c12.intoArray(out, r + 2 * L); c13.intoArray(out, r + 3 * L);
    }

    /** One token x one panel (the tokens left over by the wider tiles): the same chain per output. */
    private void tile1(float[] x, int t, int p, float[] out, int oOff, int k0, int k1) {
        final int K = cols;
        int x0 = t * K;
        boolean first = k0 == 0;
        FloatVector c0 = acc(out, oOff, first), c1 = acc(out, oOff + L, first), c2 = acc(out, oOff + 2 * L, first), c3 = acc(out, oOff + 3 * L, first);
        int w = (p * K + k0) * PANEL;
        for (int k = k0; k < k1; k++, w += PANEL) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c0 = FloatVector.fromArray(S, panels, w).fma(b, c0);
            c1 = FloatVector.fromArray(S, panels, w + L).fma(b, c1);
            c2 = FloatVector.fromArray(S, panels, w + 2 * L).fma(b, c2);
            c3 = FloatVector.fromArray(S, panels, w + 3 * L).fma(b, c3);
        }
        c0.intoArray(out, oOff); c1.intoArray(out, oOff + L); c2.intoArray(out, oOff + 2 * L); c3.intoArray(out, oOff + 3 * L);
    }
}
