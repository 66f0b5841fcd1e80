package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 weights W [rows, cols] stored transposed in panels of {@link #PANEL} output rows:
 * panel p holds W[p*PANEL + j, k] at [p][k][j] (zero-padded past the last row). Made for many
 * tokens at once (encoder batches, prefill): matmul is an outer-product GEMM on GemmKernel's tiles of
 * 6 tokens x 4 vectors of outputs (4, 2, 1 tokens for the rest) - per k one broadcast of x per token
 * and 4 weight loads feed 24 FMAs, with no horizontal sums. Every output is one FMA chain over k in
 * order, started at zero, computed by one thread: the bits do not depend on the thread count, the tile, or n.
 */
public final class F32PanelMatrix implements WeightMatrix {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Output rows per panel: four vectors, the width of GemmKernel's 6 x 4 tile family. */
    public static final int PANEL = GemmKernel.P4;
    private static final int TILE = 6;          // tokens per register tile
    private static final int TOKEN_BLOCK = 48;  // tokens per task: the panel (K x PANEL floats) stays in L2 across them
    private static final int KC = 96;           // k per chunk: 96 x PANEL floats = 24 KB (AVX-512), in L1

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
            boolean zero = k0 == 0;
            int w = (p * cols + k0) * PANEL, len = k1 - k0;   // the panel's rows k0..k1
            for (; t + TILE <= t1; t += TILE) GemmKernel.rows6x4(dst, dstOff + t * dstStride, dstStride, zero, x, t * cols + k0, cols, panels, w, len);
            if (t + 4 <= t1) { GemmKernel.rows4x4(dst, dstOff + t * dstStride, dstStride, zero, x, t * cols + k0, cols, panels, w, len); t += 4; }
            if (t + 2 <= t1) { GemmKernel.rows2x4(dst, dstOff + t * dstStride, dstStride, zero, x, t * cols + k0, cols, panels, w, len); t += 2; }
            if (t < t1) GemmKernel.rows1x4(dst, dstOff + t * dstStride, zero, x, t * cols + k0, panels, w, len);
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
}
