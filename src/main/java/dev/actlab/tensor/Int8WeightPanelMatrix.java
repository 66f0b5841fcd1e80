package dev.actlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The same W8A8 layer as {@link Int8PanelMatrix} (int8 weights, one scale per row; activations
 * quantized per token to integers in [-127, 127]) run on the float FMA units: each task widens a
 * chunk of its int8 panel into a float scratch panel in L1 once, then multiplies it with the
 * integer-valued activations held as floats in 2-token x 4-vector FMA tiles. Every product of two
 * such integers is exact in float and so is every partial sum below 2^24 (always, for up to
 * 2^24 / 127^2 = 1040 columns; past that only when activations and weights are both extreme), so
 * the result is the integer kernel's. Weights take a quarter of float32's memory.
 */
public final class Int8WeightPanelMatrix implements WeightMatrix {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** Output rows per panel: four float vectors. */
    public static final int PANEL = 4 * L;
    private static final int TOKEN_BLOCK = 48;
    private static final int KC = 96;   // k per chunk: the scratch panel is KC x PANEL floats

    private final byte[] panels;      // [panels][cols][PANEL], zero past the last row
    private final Int8PanelMatrix reference;   // the same layer: quantizer, scalar reference, dequantizeRow
    private final float[] rowScale;   // [rows], zero-padded to whole panels
    private final int rows, cols, numPanels;

    private Int8WeightPanelMatrix(byte[] q, float[] rowScale, Int8PanelMatrix reference, int rows, int cols) {
        this.rows = rows; this.cols = cols; this.reference = reference;
        this.numPanels = (rows + PANEL - 1) / PANEL;
        this.panels = new byte[Math.multiplyExact(numPanels * PANEL, cols)];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) panels[((r / PANEL) * cols + k) * PANEL + r % PANEL] = q[r * cols + k];
        this.rowScale = java.util.Arrays.copyOf(rowScale, numPanels * PANEL);
    }

    /** As {@link Int8PanelMatrix#of}: quantized weights in [-127, 127], per-row scales, the input multiplier or null. */
    public static Int8WeightPanelMatrix of(byte[] q, float[] rowScale, float[] inputMul, int rows, int cols) {
        Int8PanelMatrix ref = Int8PanelMatrix.of(q, rowScale, inputMul, rows, cols);   // checks the arguments
        return new Int8WeightPanelMatrix(q, rowScale, ref, rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.I8; }
    @Override public long byteSize() { return (long) rows * cols + 4L * rows; }
    @Override public void dequantizeRow(int row, float[] dst, int off) { reference.dequantizeRow(row, dst, off); }
    @Override public float dot(int row, float[] x, int xOff) { return reference.dotScalar(row, x, xOff); }
    @Override public float dotScalar(int row, float[] x, int xOff) { return reference.dotScalar(row, x, xOff); }

    /** out[t, r] = W[r, :] . x[t, :] in W8A8: x quantized per token (the integer kernel's quantizer), then (panel, block of tokens) tasks. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        float[] xq = new float[Math.multiplyExact(n, cols)];
        float[] sx = new float[n];
        par.forRange(n, 16, (from, to) -> {
            if (KernelChoice.w8a8VectorQuantizer) {
                for (int t = from; t < to; t++) sx[t] = reference.quantizeActivation(x, t * cols, xq, t * cols);
                return;
            }
            short[] tmp = new short[cols];
            for (int t = from; t < to; t++) {
                sx[t] = reference.quantizeActivation(x, t * cols, tmp, 0);
                for (int k = 0; k < cols; k++) xq[t * cols + k] = tmp[k];
            }
        });
        int blocks = (n + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
        par.forRange(numPanels * blocks, 1, (from, to) -> {
            float[] w = new float[KC * PANEL], acc = new float[TOKEN_BLOCK * PANEL];
            for (int task = from; task < to; task++) this.task(task % numPanels, task / numPanels * TOKEN_BLOCK, xq, sx, n, out, w, acc);
        });
    }

    /** Panel p for tokens [t0, t0 + TOKEN_BLOCK): sums in acc [tokens][PANEL], scaled into out at the end. */
    private void task(int p, int t0, float[] xq, float[] sx, int n, float[] out, float[] w, float[] acc) {
        int t1 = Math.min(n, t0 + TOKEN_BLOCK);
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int k1 = Math.min(cols, k0 + KC);
            for (int i = 0, src = (p * cols + k0) * PANEL, end = (k1 - k0) * PANEL; i < end; i += L)   // int8 -> float, once per block
                ((FloatVector) ByteVector.fromArray(SB, panels, src + i).convertShape(VectorOperators.B2F, S, 0)).intoArray(w, i);
            int t = t0;
            for (; t + 2 <= t1; t += 2) tile2(xq, t, w, acc, (t - t0) * PANEL, k0, k1);
            if (t < t1) tile1(xq, t, w, acc, (t - t0) * PANEL, k0, k1);
        }
        int o = p * PANEL, valid = Math.min(PANEL, rows - o);
        for (int t = t0; t < t1; t++) {
            int a = (t - t0) * PANEL, r = t * rows + o;
            if (valid == PANEL)
                for (int j = 0; j < PANEL; j += L)
                    FloatVector.fromArray(S, acc, a + j).mul(FloatVector.fromArray(S, rowScale, o + j).mul(sx[t])).intoArray(out, r + j);
            else
                for (int j = 0; j < valid; j++) out[r + j] = acc[a + j] * (rowScale[o + j] * sx[t]);
        }
    }

    private static FloatVector acc(float[] a, int off, boolean first) { return first ? FloatVector.zero(S) : FloatVector.fromArray(S, a, off); }

    private void tile2(float[] x, int t, float[] w, float[] a, int aOff, int k0, int k1) {
        int x0 = t * cols, x1 = x0 + cols, b1 = aOff + PANEL;
        boolean first = k0 == 0;
        FloatVector c00 = acc(a, aOff, first), c01 = acc(a, aOff + L, first), c02 = acc(a, aOff + 2 * L, first), c03 = acc(a, aOff + 3 * L, first);
        FloatVector c10 = acc(a, b1, first), c11 = acc(a, b1 + L, first), c12 = acc(a, b1 + 2 * L, first), c13 = acc(a, b1 + 3 * L, first);
        for (int k = k0, i = 0; k < k1; k++, i += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, w, i), w1 = FloatVector.fromArray(S, w, i + L),
                    w2 = FloatVector.fromArray(S, w, i + 2 * L), w3 = FloatVector.fromArray(S, w, i + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c00 = w0.fma(b, c00); c01 = w1.fma(b, c01); c02 = w2.fma(b, c02); c03 = w3.fma(b, c03);
            b = FloatVector.broadcast(S, x[x1 + k]);
            c10 = w0.fma(b, c10); c11 = w1.fma(b, c11); c12 = w2.fma(b, c12); c13 = w3.fma(b, c13);
        }
        c00.intoArray(a, aOff); c01.intoArray(a, aOff + L); c02.intoArray(a, aOff + 2 * L); c03.intoArray(a, aOff + 3 * L);
        c10.intoArray(a, b1); c11.intoArray(a, b1 + L); c12.intoArray(a, b1 + 2 * L); c13.intoArray(a, b1 + 3 * L);
    }

    private void tile1(float[] x, int t, float[] w, float[] a, int aOff, int k0, int k1) {
        int x0 = t * cols;
        boolean first = k0 == 0;
        FloatVector c0 = acc(a, aOff, first), c1 = acc(a, aOff + L, first), c2 = acc(a, aOff + 2 * L, first), c3 = acc(a, aOff + 3 * L, first);
        for (int k = k0, i = 0; k < k1; k++, i += PANEL) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c0 = FloatVector.fromArray(S, w, i).fma(b, c0); c1 = FloatVector.fromArray(S, w, i + L).fma(b, c1);
            c2 = FloatVector.fromArray(S, w, i + 2 * L).fma(b, c2); c3 = FloatVector.fromArray(S, w, i + 3 * L).fma(b, c3);
        }
        c0.intoArray(a, aOff); c1.intoArray(a, aOff + L); c2.intoArray(a, aOff + 2 * L); c3.intoArray(a, aOff + 3 * L);
    }
}
