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
 * integer-valued activations held as floats in 6-token x 4-vector FMA tiles (2-token on AVX2's 16
 * registers). Every product of two
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
    /** 32 vector registers hold the 6- and 4-token tiles' 24 and 16 accumulators; with 16 (AVX2) they spill: 2-token tiles there. */
    private static final boolean WIDE = L >= 16;
    /** Inputs of at most this many values (16 tokens x 1536) are quantized on the calling thread alone. */
    private static final long SERIAL_QUANTIZE = 16 * 1536;
    /**
     * Each calling thread's quantized-input buffer, grown on demand and kept: an encoder batch's inputs
     * are up to tens of MB per layer (32 x 128 tokens x 1536), which allocating and zeroing anew per
     * layer cost a few percent of the forward pass.
     */
    private static final ThreadLocal<float[]> QUANTIZED_INPUT = ThreadLocal.withInitial(() -> new float[0]);
    /** Each thread's task scratch: the widened chunk of a panel [KC][PANEL] and the block's sums [TOKEN_BLOCK][PANEL]. */
    private static final ThreadLocal<float[][]> TASK_SCRATCH = ThreadLocal.withInitial(() -> new float[][]{new float[KC * PANEL], new float[TOKEN_BLOCK * PANEL]});

    private final byte[] panels;      // [panels][cols][PANEL], zero past the last row
    private final float[] widened;    // the same panels as floats, widened once at load; null: widened per task
    private final Int8PanelMatrix reference;   // the same layer: quantizer, scalar reference, dequantizeRow
    private final float[] rowScale;   // [rows], zero-padded to whole panels
    private final float[] inputMul;   // [cols] or null: layers with equal multipliers can share quantized inputs
    private final int rows, cols, numPanels;

    private Int8WeightPanelMatrix(byte[] q, float[] rowScale, float[] inputMul, Int8PanelMatrix reference, int rows, int cols, boolean widenAtLoad) {
        this.rows = rows; this.cols = cols; this.reference = reference; this.inputMul = inputMul;
        this.numPanels = (rows + PANEL - 1) / PANEL;
        this.panels = new byte[Math.multiplyExact(numPanels * PANEL, cols)];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) panels[((r / PANEL) * cols + k) * PANEL + r % PANEL] = q[r * cols + k];
        this.rowScale = java.util.Arrays.copyOf(rowScale, numPanels * PANEL);
        if (widenAtLoad) {
            widened = new float[panels.length];
            for (int i = 0; i < panels.length; i++) widened[i] = panels[i];
        } else widened = null;
    }

    /** As {@link Int8PanelMatrix#of}: quantized weights in [-127, 127], per-row scales, the input multiplier or null; widened per task. */
    public static Int8WeightPanelMatrix of(byte[] q, float[] rowScale, float[] inputMul, int rows, int cols) {
        return of(q, rowScale, inputMul, rows, cols, false);
    }

    /**
     * widenAtLoad: also hold the panels widened to floats (float32's memory) so that no task widens
     * them again; the same bits, faster at few tokens per call, where widening is a large part of the work.
     */
    public static Int8WeightPanelMatrix of(byte[] q, float[] rowScale, float[] inputMul, int rows, int cols, boolean widenAtLoad) {
        Int8PanelMatrix ref = Int8PanelMatrix.of(q, rowScale, inputMul, rows, cols);   // checks the arguments
        return new Int8WeightPanelMatrix(q, rowScale, inputMul == null ? null : inputMul.clone(), ref, rows, cols, widenAtLoad);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.I8; }
    @Override public long byteSize() { return (long) rows * cols + 4L * rows + (widened == null ? 0 : 4L * widened.length); }
    @Override public void dequantizeRow(int row, float[] dst, int off) { reference.dequantizeRow(row, dst, off); }
    @Override public float dot(int row, float[] x, int xOff) { return reference.dotScalar(row, x, xOff); }
    @Override public float dotScalar(int row, float[] x, int xOff) { return reference.dotScalar(row, x, xOff); }

    /** Whether {@link #matmulAll} can run this layer and o on one quantized copy of their input (same width and input multiplier). */
    public boolean sharesInputWith(Int8WeightPanelMatrix o) { return cols == o.cols && java.util.Arrays.equals(inputMul, o.inputMul); }

    /** out[t, r] = W[r, :] . x[t, :] in W8A8: x quantized per token (the integer kernel's quantizer), then (panel, block of tokens) tasks. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        matmulAll(new Int8WeightPanelMatrix[]{this}, x, n, new float[][]{out}, new float[][]{null}, null, par);
    }

    /** out[t, r] = bias[r] + W[r, :] . x[t, :] (bias may be null), then epilogue on the finished outputs, inside the tasks. */
    public void matmul(float[] x, int n, float[] out, float[] bias, F32PanelMatrix.Epilogue epilogue, Parallel par) {
        matmulAll(new Int8WeightPanelMatrix[]{this}, x, n, new float[][]{out}, new float[][]{bias}, epilogue, par);
    }

    /**
     * Several layers that read the same x with the same input multiplier (an encoder's Q, K and V
     * under one SmoothQuant s): x is quantized once, then one parallel call runs every layer's tasks.
     * outs[m] = biases[m] + W_m x, then epilogue; each output's bits are what a lone matmul gives.
     */
    public static void matmulAll(Int8WeightPanelMatrix[] ms, float[] x, int n, float[][] outs, float[][] biases, F32PanelMatrix.Epilogue epilogue, Parallel par) {
        Int8WeightPanelMatrix first = ms[0];
        int cols = first.cols;   // the layers' shapes and multipliers are checked by matmulAllQuantized
        float[] xq = QUANTIZED_INPUT.get();   // the caller's buffer: the call is synchronous, workers only read it during the call
        if (xq.length < (long) n * cols) QUANTIZED_INPUT.set(xq = new float[Math.multiplyExact(n, cols)]);
        final float[] xqf = xq;
        float[] sx = new float[n];
        // a short input (a batch-1 call) is quantized on the calling thread: a few microseconds, less than a hand-over
        int minChunk = (long) n * cols <= SERIAL_QUANTIZE ? n : 4;
        par.forRange(n, minChunk, (from, to) -> {   // chunks of 4 tokens: a longer input's rows shared (a 1536-wide row is ~1 us)
            if (KernelChoice.w8a8VectorQuantizer) {
                first.quantizeRows(x, from, to, xqf, sx);
                return;
            }
            short[] tmp = new short[cols];
            for (int t = from; t < to; t++) {
                sx[t] = first.reference.quantizeActivation(x, t * cols, tmp, 0);
                for (int k = 0; k < cols; k++) xqf[t * cols + k] = tmp[k];
            }
        });
        matmulAllQuantized(ms, xqf, sx, n, outs, biases, epilogue, par);
    }

    /**
     * This layer's input quantizer on rows [from, to) of x [.., cols]: row t to integer-valued floats
     * at xq[t * cols ..] and its scale sx[t], what {@link #matmulAll} does first. For a caller that
     * produces x row by row (a LayerNorm) and quantizes each row while it is in L1.
     */
    public void quantizeRows(float[] x, int from, int to, float[] xq, float[] sx) {
        for (int t = from; t < to; t++) sx[t] = reference.quantizeActivation(x, t * cols, xq, t * cols);
    }

    /**
     * {@link #matmulAll} on an input already quantized by {@link #quantizeRows} of the first layer
     * (xq [n, cols], sx [n]): the same tasks, so the same bits.
     */
    public static void matmulAllQuantized(Int8WeightPanelMatrix[] ms, float[] xq, float[] sx, int n, float[][] outs, float[][] biases,
                                          F32PanelMatrix.Epilogue epilogue, Parallel par) {
        Int8WeightPanelMatrix first = ms[0];
        int cols = first.cols, blocks = (n + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
        if (xq.length < (long) n * cols || sx.length < n) throw new IllegalArgumentException("quantized input of " + xq.length + " values and " + sx.length + " scales for " + n + " x " + cols);
        int[] firstTask = new int[ms.length + 1];   // layer m owns tasks [firstTask[m], firstTask[m + 1])
        for (int m = 0; m < ms.length; m++) {
            if (!first.sharesInputWith(ms[m]))
                throw new IllegalArgumentException("layers of " + cols + " and " + ms[m].cols + " columns, or with different input multipliers, cannot share quantized inputs");
            if (biases[m] != null && biases[m].length != ms[m].rows) throw new IllegalArgumentException("bias of " + biases[m].length + " for " + ms[m].rows + " rows");
            firstTask[m + 1] = firstTask[m] + ms[m].numPanels * blocks;
        }
        final float[] xqf = xq;
        par.forRange(firstTask[ms.length], 1, (from, to) -> {
            float[][] scratch = TASK_SCRATCH.get();   // this thread's: allocating 36 KB per chunk was ~1 ms of a 3 ms batch-1 forward
            float[] w = scratch[0], acc = scratch[1];
            int m = 0;
            for (int task = from; task < to; task++) {
                while (task >= firstTask[m + 1]) m++;
                Int8WeightPanelMatrix wm = ms[m];
                int local = task - firstTask[m];
                wm.task(local % wm.numPanels, local / wm.numPanels * TOKEN_BLOCK, xqf, sx, n, outs[m], biases[m], epilogue, w, acc);
            }
        });
    }

    /**
     * Panel p for tokens [t0, t0 + TOKEN_BLOCK): integer sums (as floats) in acc [tokens][PANEL], then
     * out = bias + acc * (rowScale * sx) (the order the float path adds its bias) and the epilogue.
     */
    private void task(int p, int t0, float[] xq, float[] sx, int n, float[] out, float[] bias, F32PanelMatrix.Epilogue epilogue, float[] w, float[] acc) {
        int t1 = Math.min(n, t0 + TOKEN_BLOCK);
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int k1 = Math.min(cols, k0 + KC);
            float[] wp = w;
            int wOff = 0;
            if (widened != null) { wp = widened; wOff = (p * cols + k0) * PANEL; }
            else
                for (int i = 0, src = (p * cols + k0) * PANEL, end = (k1 - k0) * PANEL; i < end; i += L)   // int8 -> float, once per block
                    ((FloatVector) ByteVector.fromArray(SB, panels, src + i).convertShape(VectorOperators.B2F, S, 0)).intoArray(w, i);
            int t = t0;
            if (WIDE) {
                for (; t + 6 <= t1; t += 6) tile6(xq, t, wp, wOff, acc, (t - t0) * PANEL, k0, k1);
                if (t + 4 <= t1) { tile4(xq, t, wp, wOff, acc, (t - t0) * PANEL, k0, k1); t += 4; }
            }
            for (; t + 2 <= t1; t += 2) tile2(xq, t, wp, wOff, acc, (t - t0) * PANEL, k0, k1);
            if (t < t1) tile1(xq, t, wp, wOff, acc, (t - t0) * PANEL, k0, k1);
        }
        int o = p * PANEL, valid = Math.min(PANEL, rows - o);
        for (int t = t0; t < t1; t++) {
            int a = (t - t0) * PANEL, r = t * rows + o;
            if (valid == PANEL) {
                for (int j = 0; j < PANEL; j += L) {
                    FloatVector y = FloatVector.fromArray(S, acc, a + j).mul(FloatVector.fromArray(S, rowScale, o + j).mul(sx[t]));
                    if (bias != null) y = FloatVector.fromArray(S, bias, o + j).add(y);
                    y.intoArray(out, r + j);
                }
            } else {
                for (int j = 0; j < valid; j++) {
                    float y = acc[a + j] * (rowScale[o + j] * sx[t]);
                    out[r + j] = bias == null ? y : bias[o + j] + y;
                }
            }
            if (epilogue != null) epilogue.apply(out, r, r + valid);
        }
    }

    private static FloatVector acc(float[] a, int off, boolean first) { return first ? FloatVector.zero(S) : FloatVector.fromArray(S, a, off); }

    /** Six tokens x one panel: 24 accumulators (32 vector registers: AVX-512). */
    private void tile6(float[] x, int t, float[] w, int wOff, float[] a, int aOff, int k0, int k1) {
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols;
        int b1 = aOff + PANEL, b2 = b1 + PANEL, b3 = b2 + PANEL, b4 = b3 + PANEL, b5 = b4 + PANEL;
        boolean first = k0 == 0;
        FloatVector c00 = acc(a, aOff, first), c01 = acc(a, aOff + L, first), c02 = acc(a, aOff + 2 * L, first), c03 = acc(a, aOff + 3 * L, first);
        FloatVector c10 = acc(a, b1, first), c11 = acc(a, b1 + L, first), c12 = acc(a, b1 + 2 * L, first), c13 = acc(a, b1 + 3 * L, first);
        FloatVector c20 = acc(a, b2, first), c21 = acc(a, b2 + L, first), c22 = acc(a, b2 + 2 * L, first), c23 = acc(a, b2 + 3 * L, first);
        FloatVector c30 = acc(a, b3, first), c31 = acc(a, b3 + L, first), c32 = acc(a, b3 + 2 * L, first), c33 = acc(a, b3 + 3 * L, first);
        FloatVector c40 = acc(a, b4, first), c41 = acc(a, b4 + L, first), c42 = acc(a, b4 + 2 * L, first), c43 = acc(a, b4 + 3 * L, first);
        FloatVector c50 = acc(a, b5, first), c51 = acc(a, b5 + L, first), c52 = acc(a, b5 + 2 * L, first), c53 = acc(a, b5 + 3 * L, first);
        for (int k = k0, i = wOff; k < k1; k++, i += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, w, i), w1 = FloatVector.fromArray(S, w, i + L),
                    w2 = FloatVector.fromArray(S, w, i + 2 * L), w3 = FloatVector.fromArray(S, w, i + 3 * L);
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
        c00.intoArray(a, aOff); c01.intoArray(a, aOff + L); c02.intoArray(a, aOff + 2 * L); c03.intoArray(a, aOff + 3 * L);
        c10.intoArray(a, b1); c11.intoArray(a, b1 + L); c12.intoArray(a, b1 + 2 * L); c13.intoArray(a, b1 + 3 * L);
        c20.intoArray(a, b2); c21.intoArray(a, b2 + L); c22.intoArray(a, b2 + 2 * L); c23.intoArray(a, b2 + 3 * L);
        c30.intoArray(a, b3); c31.intoArray(a, b3 + L); c32.intoArray(a, b3 + 2 * L); c33.intoArray(a, b3 + 3 * L);
        c40.intoArray(a, b4); c41.intoArray(a, b4 + L); c42.intoArray(a, b4 + 2 * L); c43.intoArray(a, b4 + 3 * L);
        c50.intoArray(a, b5); c51.intoArray(a, b5 + L); c52.intoArray(a, b5 + 2 * L); c53.intoArray(a, b5 + 3 * L);
    }

    /** Four tokens x one panel: 16 accumulators. */
    private void tile4(float[] x, int t, float[] w, int wOff, float[] a, int aOff, int k0, int k1) {
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        int b1 = aOff + PANEL, b2 = b1 + PANEL, b3 = b2 + PANEL;
        boolean first = k0 == 0;
        FloatVector c00 = acc(a, aOff, first), c01 = acc(a, aOff + L, first), c02 = acc(a, aOff + 2 * L, first), c03 = acc(a, aOff + 3 * L, first);
        FloatVector c10 = acc(a, b1, first), c11 = acc(a, b1 + L, first), c12 = acc(a, b1 + 2 * L, first), c13 = acc(a, b1 + 3 * L, first);
        FloatVector c20 = acc(a, b2, first), c21 = acc(a, b2 + L, first), c22 = acc(a, b2 + 2 * L, first), c23 = acc(a, b2 + 3 * L, first);
        FloatVector c30 = acc(a, b3, first), c31 = acc(a, b3 + L, first), c32 = acc(a, b3 + 2 * L, first), c33 = acc(a, b3 + 3 * L, first);
        for (int k = k0, i = wOff; k < k1; k++, i += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, w, i), w1 = FloatVector.fromArray(S, w, i + L),
                    w2 = FloatVector.fromArray(S, w, i + 2 * L), w3 = FloatVector.fromArray(S, w, i + 3 * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c00 = w0.fma(b, c00); c01 = w1.fma(b, c01); c02 = w2.fma(b, c02); c03 = w3.fma(b, c03);
            b = FloatVector.broadcast(S, x[x1 + k]);
            c10 = w0.fma(b, c10); c11 = w1.fma(b, c11); c12 = w2.fma(b, c12); c13 = w3.fma(b, c13);
            b = FloatVector.broadcast(S, x[x2 + k]);
            c20 = w0.fma(b, c20); c21 = w1.fma(b, c21); c22 = w2.fma(b, c22); c23 = w3.fma(b, c23);
            b = FloatVector.broadcast(S, x[x3 + k]);
            c30 = w0.fma(b, c30); c31 = w1.fma(b, c31); c32 = w2.fma(b, c32); c33 = w3.fma(b, c33);
        }
        c00.intoArray(a, aOff); c01.intoArray(a, aOff + L); c02.intoArray(a, aOff + 2 * L); c03.intoArray(a, aOff + 3 * L);
        c10.intoArray(a, b1); c11.intoArray(a, b1 + L); c12.intoArray(a, b1 + 2 * L); c13.intoArray(a, b1 + 3 * L);
        c20.intoArray(a, b2); c21.intoArray(a, b2 + L); c22.intoArray(a, b2 + 2 * L); c23.intoArray(a, b2 + 3 * L);
        c30.intoArray(a, b3); c31.intoArray(a, b3 + L); c32.intoArray(a, b3 + 2 * L); c33.intoArray(a, b3 + 3 * L);
    }

    private void tile2(float[] x, int t, float[] w, int wOff, float[] a, int aOff, int k0, int k1) {
        int x0 = t * cols, x1 = x0 + cols, b1 = aOff + PANEL;
        boolean first = k0 == 0;
        FloatVector c00 = acc(a, aOff, first), c01 = acc(a, aOff + L, first), c02 = acc(a, aOff + 2 * L, first), c03 = acc(a, aOff + 3 * L, first);
        FloatVector c10 = acc(a, b1, first), c11 = acc(a, b1 + L, first), c12 = acc(a, b1 + 2 * L, first), c13 = acc(a, b1 + 3 * L, first);
        for (int k = k0, i = wOff; k < k1; k++, i += PANEL) {
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

    private void tile1(float[] x, int t, float[] w, int wOff, float[] a, int aOff, int k0, int k1) {
        int x0 = t * cols;
        boolean first = k0 == 0;
        FloatVector c0 = acc(a, aOff, first), c1 = acc(a, aOff + L, first), c2 = acc(a, aOff + 2 * L, first), c3 = acc(a, aOff + 3 * L, first);
        for (int k = k0, i = wOff; k < k1; k++, i += PANEL) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c0 = FloatVector.fromArray(S, w, i).fma(b, c0); c1 = FloatVector.fromArray(S, w, i + L).fma(b, c1);
            c2 = FloatVector.fromArray(S, w, i + 2 * L).fma(b, c2); c3 = FloatVector.fromArray(S, w, i + 3 * L).fma(b, c3);
        }
        c0.intoArray(a, aOff); c1.intoArray(a, aOff + L); c2.intoArray(a, aOff + 2 * L); c3.intoArray(a, aOff + 3 * L);
    }
}
