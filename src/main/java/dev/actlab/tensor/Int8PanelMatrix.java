package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A W8A8 linear layer: int8 weights W [rows, cols] with one scale per output row, and int8
 * activations quantized per token as they arrive (dynamic, symmetric: scale = max|x'| / 127 with
 * x' = x * inputMul, inputMul being SmoothQuant's 1/s per input channel or none). The products are
 * integers, summed exactly in int32; y[t, r] = (float) acc * (rowScale[r] * tokenScale[t]).
 * <p>
 * Kernel (outer product, like {@link F32PanelMatrix}): panels of {@link #PANEL} output rows, k in
 * pairs. For each token and pair, two 16-bit multiplies and one 16-bit add give w[r,k] x[k] +
 * w[r,k+1] x[k+1] for PANEL rows (|.| <= 2 * 127^2 < 2^15: both sides are clamped to +-127), then the
 * 16-bit lanes are widened into two int32 accumulators by shifts (lane 2i holds row i, lane 2i+1
 * row i + PANEL/2, so the low and high halves of each 32-bit lane are the two rows). The Vector API
 * has no widening multiply-add (x86's pmaddwd, VNNI's vpdpbusd), so this is about 10 instructions
 * per 32 multiply-adds against the float kernel's 4 FMAs: on AVX2 it runs at 0.5-0.8x the float
 * panel GEMM ({@link Int8WeightPanelMatrix} is the faster W8A8 kernel there; README, MiniLM W8A8).
 * Activation values are broadcast as an int holding the value twice (one int broadcast fills every
 * 16-bit lane).
 * Integer sums do not depend on order: the bits are the same for any thread count and tile.
 */
public final class Int8PanelMatrix implements WeightMatrix {
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> SF = FloatVector.SPECIES_PREFERRED;
    /** Output rows per panel: one vector of 16-bit lanes. */
    public static final int PANEL = SS.length();
    private static final int HALF = PANEL / 2;
    private static final int TOKEN_BLOCK = 64;
    /** Largest magnitude of a quantized value on either side (not -128: two products must fit 16 bits). */
    public static final int QMAX = 127;

    private final short[] panels;     // [panels][cols/2 pairs][2][PANEL], lanes permuted as above, zero past the last row or column
    private final byte[] q;           // [rows, cols] the int8 weights, row-major (for dequantizeRow and the scalar reference)
    private final float[] rowScale;   // [rows]
    private final float[] inputMul;   // [cols] or null
    private final int rows, cols, pairs, numPanels;

    private Int8PanelMatrix(byte[] q, float[] rowScale, float[] inputMul, int rows, int cols) {
        this.q = q; this.rowScale = rowScale; this.inputMul = inputMul; this.rows = rows; this.cols = cols;
        this.pairs = (cols + 1) / 2;
        this.numPanels = (rows + PANEL - 1) / PANEL;
        if (SI.length() != HALF || SF.length() != HALF) throw new IllegalStateException("vector shapes: " + SS + " " + SI + " " + SF);
        panels = new short[Math.multiplyExact(numPanels * pairs * 2, PANEL)];
        for (int r = 0; r < rows; r++) {
            int p = r / PANEL, i = r % PANEL, lane = i < HALF ? 2 * i : 2 * (i - HALF) + 1;
            for (int k = 0; k < cols; k++) panels[((p * pairs + k / 2) * 2 + k % 2) * PANEL + lane] = q[r * cols + k];
        }
    }

    /**
     * From quantized weights q [rows, cols] (each in [-127, 127]), their per-row scales, and the
     * per-input-channel multiplier applied to x before it is quantized (null: none).
     */
    public static Int8PanelMatrix of(byte[] q, float[] rowScale, float[] inputMul, int rows, int cols) {
        if (rows <= 0 || cols <= 0 || q.length != (long) rows * cols || rowScale.length != rows || (inputMul != null && inputMul.length != cols))
            throw new IllegalArgumentException("int8 matrix [" + rows + ", " + cols + "]: " + q.length + " weights, " + rowScale.length + " row scales"
                    + (inputMul == null ? "" : ", " + inputMul.length + " input multipliers"));
        for (int i = 0; i < q.length; i++)
            if (q[i] < -QMAX) throw new IllegalArgumentException("weight " + i + " is " + q[i] + ", outside [-127, 127]");
        return new Int8PanelMatrix(q.clone(), rowScale.clone(), inputMul == null ? null : inputMul.clone(), rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.I8; }
    @Override public long byteSize() { return (long) rows * cols + 4L * rows; }

    /** Effective float weight: q * rowScale * inputMul (the multiplier the input sees, moved onto W). */
    @Override public void dequantizeRow(int row, float[] dst, int off) {
        for (int k = 0; k < cols; k++) dst[off + k] = q[row * cols + k] * rowScale[row] * (inputMul == null ? 1f : inputMul[k]);
    }

    /**
     * Quantizes x[xOff, xOff + cols) into xq[qOff, qOff + cols) and returns its scale (0 for an
     * all-zero row): q = rint(x * inputMul * 127 / max|x * inputMul|), clamped to [-127, 127].
     */
    public float quantizeActivation(float[] x, int xOff, short[] xq, int qOff) {
        float amax = 0;
        for (int k = 0; k < cols; k++) amax = Math.max(amax, Math.abs(inputMul == null ? x[xOff + k] : x[xOff + k] * inputMul[k]));
        if (amax == 0) {
            for (int k = 0; k < cols; k++) xq[qOff + k] = 0;
            return 0;
        }
        float inv = QMAX / amax;
        for (int k = 0; k < cols; k++) {
            float v = (inputMul == null ? x[xOff + k] : x[xOff + k] * inputMul[k]) * inv;
            xq[qOff + k] = (short) Math.max(-QMAX, Math.min(QMAX, Math.rint(v)));
        }
        return amax / QMAX;
    }

    /** 1.5 x 2^23: (v + ROUND) - ROUND is Math.rint(v) (nearest, ties to even) for |v| < 2^22. */
    private static final float ROUND = 12582912f;

    /**
     * {@link #quantizeActivation} with the Vector API, into integer-valued floats at xq[qOff, qOff + cols):
     * the same values and scale (the same float products, rint by the ROUND trick, the same clamps; NaN to 0 as the cast does).
     */
    public float quantizeActivation(float[] x, int xOff, float[] xq, int qOff) {
        int k = 0, upper = SF.loopBound(cols);
        FloatVector top = FloatVector.zero(SF);
        for (; k < upper; k += SF.length()) {
            FloatVector v = FloatVector.fromArray(SF, x, xOff + k);
            if (inputMul != null) v = v.mul(FloatVector.fromArray(SF, inputMul, k));
            top = top.max(v.abs());
        }
        float amax = top.reduceLanes(VectorOperators.MAX);
        for (; k < cols; k++) amax = Math.max(amax, Math.abs(inputMul == null ? x[xOff + k] : x[xOff + k] * inputMul[k]));
        if (amax == 0) {
            java.util.Arrays.fill(xq, qOff, qOff + cols, 0f);
            return 0;
        }
        float inv = QMAX / amax;
        FloatVector vinv = FloatVector.broadcast(SF, inv), round = FloatVector.broadcast(SF, ROUND);
        for (k = 0; k < upper; k += SF.length()) {
            FloatVector v = FloatVector.fromArray(SF, x, xOff + k);
            if (inputMul != null) v = v.mul(FloatVector.fromArray(SF, inputMul, k));
            v = v.mul(vinv).add(round).sub(round).min((float) QMAX).max((float) -QMAX);
            v.blend(0f, v.test(VectorOperators.IS_NAN)).intoArray(xq, qOff + k);
        }
        for (; k < cols; k++) {
            float v = (inputMul == null ? x[xOff + k] : x[xOff + k] * inputMul[k]) * inv;
            xq[qOff + k] = (short) Math.max(-QMAX, Math.min(QMAX, Math.rint(v)));
        }
        return amax / QMAX;
    }

    @Override public float dot(int row, float[] x, int xOff) { return dotScalar(row, x, xOff); }

    /** The scalar reference: quantize x, integer dot, scale. matmul gives these bits. */
    @Override public float dotScalar(int row, float[] x, int xOff) {
        short[] xq = new short[cols];
        float sx = quantizeActivation(x, xOff, xq, 0);
        int acc = 0;
        for (int k = 0; k < cols; k++) acc += q[row * cols + k] * xq[k];
        return (float) acc * (rowScale[row] * sx);
    }

    /** out[t, r] = W[r, :] . x[t, :] in W8A8: x is quantized per token first, then (panel, block of tokens) tasks. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        int kp = 2 * pairs;
        short[] xq = new short[Math.multiplyExact(n, kp)];   // zero-padded to whole pairs
        float[] sx = new float[n];
        int[] xr = new int[xq.length];   // each value twice, as the two halves of an int: one int broadcast fills all 16-bit lanes
        par.forRange(n, 16, (from, to) -> {
            for (int t = from; t < to; t++) {
                sx[t] = quantizeActivation(x, t * cols, xq, t * kp);
                for (int k = t * kp; k < (t + 1) * kp; k++) xr[k] = (xq[k] & 0xFFFF) | (xq[k] << 16);
            }
        });
        int blocks = (n + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
        par.forRange(numPanels * blocks, 1, (from, to) -> {
            float[] tmp = new float[PANEL];
            for (int task = from; task < to; task++) this.task(task % numPanels, task / numPanels * TOKEN_BLOCK, xr, sx, n, out, tmp);
        });
    }

    private void task(int p, int t0, int[] xq, float[] sx, int n, float[] out, float[] tmp) {
        int t1 = Math.min(n, t0 + TOKEN_BLOCK), t = t0;
        for (; t + 2 <= t1; t += 2) tile2(p, t, xq, sx, out, tmp);
        for (; t < t1; t++) tile1(p, t, xq, sx, out, tmp);
    }

    /** Two tokens x one panel: 4 int32 accumulators (a 4-token tile spills on AVX2's 16 registers and runs 4x slower). */
    private void tile2(int p, int t, int[] xq, float[] sx, float[] out, float[] tmp) {
        int kp = 2 * pairs, x0 = t * kp, x1 = x0 + kp;
        IntVector l0 = IntVector.zero(SI), h0 = l0, l1 = l0, h1 = l0;
        int w = p * pairs * 2 * PANEL;
        for (int j = 0; j < kp; j += 2, w += 2 * PANEL) {
            ShortVector a = ShortVector.fromArray(SS, panels, w), b = ShortVector.fromArray(SS, panels, w + PANEL);
            IntVector s = a.mul(bc(xq[x0 + j])).add(b.mul(bc(xq[x0 + j + 1]))).reinterpretAsInts();
            l0 = l0.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)); h0 = h0.add(s.lanewise(VectorOperators.ASHR, 16));
            s = a.mul(bc(xq[x1 + j])).add(b.mul(bc(xq[x1 + j + 1]))).reinterpretAsInts();
            l1 = l1.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)); h1 = h1.add(s.lanewise(VectorOperators.ASHR, 16));
        }
        store(p, t, l0, h0, sx, out, tmp);
        store(p, t + 1, l1, h1, sx, out, tmp);
    }

    private void tile1(int p, int t, int[] xq, float[] sx, float[] out, float[] tmp) {
        int kp = 2 * pairs, x0 = t * kp;
        IntVector l0 = IntVector.zero(SI), h0 = l0;
        int w = p * pairs * 2 * PANEL;
        for (int j = 0; j < kp; j += 2, w += 2 * PANEL) {
            ShortVector a = ShortVector.fromArray(SS, panels, w), b = ShortVector.fromArray(SS, panels, w + PANEL);
            IntVector s = a.mul(bc(xq[x0 + j])).add(b.mul(bc(xq[x0 + j + 1]))).reinterpretAsInts();
            l0 = l0.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)); h0 = h0.add(s.lanewise(VectorOperators.ASHR, 16));
        }
        store(p, t, l0, h0, sx, out, tmp);
    }

    private static ShortVector bc(int twice) { return IntVector.broadcast(SI, twice).reinterpretAsShorts(); }

    /** out[t, panel rows] = (float) acc * (rowScale * sx[t]); a partial last panel goes through tmp. */
    private void store(int p, int t, IntVector lo, IntVector hi, float[] sx, float[] out, float[] tmp) {
        int o = p * PANEL, valid = Math.min(PANEL, rows - o);
        float s = sx[t];
        if (valid == PANEL) {
            int r = t * rows + o;
            FloatVector sl = FloatVector.fromArray(SF, rowScale, o).mul(s), sh = FloatVector.fromArray(SF, rowScale, o + HALF).mul(s);
            ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(sl).intoArray(out, r);
            ((FloatVector) hi.convert(VectorOperators.I2F, 0)).mul(sh).intoArray(out, r + HALF);
            return;
        }
        ((FloatVector) lo.convert(VectorOperators.I2F, 0)).intoArray(tmp, 0);
        ((FloatVector) hi.convert(VectorOperators.I2F, 0)).intoArray(tmp, HALF);
        for (int i = 0; i < valid; i++) out[t * rows + o + i] = tmp[i] * (rowScale[o + i] * s);
    }
}
