package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q8_0: blocks of 32 weights, 34 bytes each: f16 scale d, then 32 int8 quants q;
 * weight = q * d.
 */
public final class Q8_0Matrix extends PackedMatrix implements TiledMatmul.Tiles {
    public Q8_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q8_0); }

    @Override public DType dtype() { return DType.Q8_0; }

    /**
     * Even blocks sum into one accumulator, odd blocks into another; two blocks per step, so the
     * loop carries no branch on the block's parity (measured 1.3x on AVX2 over a branch per block).
     */
    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector even = FloatVector.zero(FL), odd = even;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
            even = blockSum(o, x, xOff).fma(scale(o), even);
            odd = blockSum(o + 34, x, xOff + 32).fma(scale(o + 34), odd);
        }
        if (b < blocks) even = blockSum(o, x, xOff).fma(scale(o), even);
        return Lanes.sum(even.add(odd));
    }

    /** Lanes of sum q * x over the block at o (before its scale), x from xOff. */
    private FloatVector blockSum(long o, float[] x, int xOff) {
        FloatVector s = QuantLanes.toFloat(QuantLanes.load(data, o + 2)).mul(FloatVector.fromArray(FL, x, xOff));
        for (int k = L; k < 32; k += L)
            s = QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k)).fma(FloatVector.fromArray(FL, x, xOff + k), s);
        return s;
    }

    private FloatVector scale(long o) { return FloatVector.broadcast(FL, half(o)); }

    /**
     * Decode (n < 4): one row at a time through {@link #dot}, the tokens inner so the row is read
     * from memory once ({@link KernelChoice#q8RowDecode}; off: the four-row kernel it replaced).
     * Prefill: four tokens per pass over a row, so each block is loaded and widened once for four
     * tokens. Every output has the arithmetic of {@link #dot}, so the bits are the same.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        if (n < 4 && intDecode) {
            // x rounded to Q8_0 blocks once per call, shared (read only) by the threads
            RoundedInput q = roundInput(x, n);
            par.forRange(rows, 16, (from, to) -> rowsInt(q, n, out, from, to));
            return;
        }
        par.forRange(rows, 16, (from, to) -> {
            if (n < 4) { matmulRows(x, n, out, from, to); return; }
            for (int r = from; r < to; r++) {
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(r, x, t, out);
                for (; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            }
        });
    }

    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        if (intDecode) { rowsInt(roundInput(x, n), n, out, from, to); return; }
        if (L == 16 && KernelChoice.q8StridedRows && cols >= KernelChoice.q8StridedMinCols) { rowsStrided(x, n, out, from, to); return; }
        if (KernelChoice.q8RowDecode) { rowsByDot(x, n, out, from, to); return; }
        for (int t = 0; t < n; t++) {
            int r = from;
            for (; r + 4 <= to; r += 4) rows4(r, x, t * cols, out, t * rows + r);
            for (; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
        }
    }

    /**
     * out[t * rows + r] = {@link #dot}(r, x, t * cols) for rows [from, to), the tokens inner so a row
     * is read from memory once; dot's loop with each block's steps written out for AVX2 (L = 8).
     */
    private void rowsByDot(float[] x, int n, float[] out, int from, int to) {
        if (L != 8) {
            for (int r = from; r < to; r++)
                for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            return;
        }
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = r * rowBytes;
                int xOff = t * cols, b = 0;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
                    even = blockSum8(o, x, xOff).fma(scale(o), even);
                    odd = blockSum8(o + 34, x, xOff + 32).fma(scale(o + 34), odd);
                }
                if (b < blocks) even = blockSum8(o, x, xOff).fma(scale(o), even);
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
    }

    /**
     * Decode's rows [from, to) on 16 lanes (AVX-512), the bits of {@link #dot}: four rows per pass a quarter of the
     * range apart (four long sequential streams, as F32Matrix's decode), so each x load serves four rows: a wide
     * matrix's x (ffn_down's 8192 floats, 32 KB) no longer streams from L2 once per row ({@link KernelChoice#q8StridedRows}).
     */
    private void rowsStrided(float[] x, int n, float[] out, int from, int to) {
        int q = (to - from) / 4;
        float[] lanes = KernelScratch.get().floats(0, 4 * L);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < q; i++) rows4x16(from + i, q, x, t, out, lanes);
            for (int r = from + 4 * q; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
        }
    }

    /**
     * out[t, row + i * stride] = {@link #dot}(row + i * stride, x, t * cols) for i < 4 with dot's arithmetic on L = 16:
     * per block s = w[0:16] x[0:16], s += w[16:32] x[16:32] (one FMA), then s d into the even or the odd block's
     * accumulator, Lanes.sum(even + odd).
     */
    private void rows4x16(int row, int stride, float[] x, int t, float[] out, float[] lanes) {
        long gap = (long) stride * rowBytes;
        long o0 = row * rowBytes, o1 = o0 + gap, o2 = o1 + gap, o3 = o2 + gap;
        int xo = t * cols;
        // a: this block's parity's accumulators, b: the other's; swapped after every block (one block per step keeps
        // the loop small enough for C2 to inline everything: two blocks per step left calls in the loop)
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        // block16 and scale written out: no call of ours is left in the loop. Called, they were not always inlined
        // (C2 will not inline a callee already compiled on its own into a large method), and then every block's
        // vectors were boxed: the whole decode ran ~3x slower in processes whose warm-up compiled them first
        for (int b = 0; b < blocks; b++, o0 += 34, o1 += 34, o2 += 34, o3 += 34, xo += 32) {
            FloatVector xa = FloatVector.fromArray(FL, x, xo), xb = FloatVector.fromArray(FL, x, xo + 16);
            FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o0 + 18, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0))
                    .fma(xb, ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o0 + 2, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0)).mul(xa))
                    .fma(FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o0))), a0);
            FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o1 + 18, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0))
                    .fma(xb, ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o1 + 2, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0)).mul(xa))
                    .fma(FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o1))), a1);
            FloatVector s2 = ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o2 + 18, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0))
                    .fma(xb, ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o2 + 2, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0)).mul(xa))
                    .fma(FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o2))), a2);
            FloatVector s3 = ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o3 + 18, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0))
                    .fma(xb, ((FloatVector) ByteVector.fromMemorySegment(QuantLanes.B, data, o3 + 2, ByteOrder.LITTLE_ENDIAN).castShape(FL, 0)).mul(xa))
                    .fma(FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o3))), a3);
            a0 = b0; a1 = b1; a2 = b2; a3 = b3;
            b0 = s0; b1 = s1; b2 = s2; b3 = s3;
        }
        // even + odd in either order (a float add is commutative), parked in scratch and summed in Lanes.sum's order:
        // four Lanes.sum calls made the method too large for C2 to inline them all, and a vector passed to a call that
        // is not inlined is boxed (96 bytes a row, ~12 MB a 110M token)
        a0.add(b0).intoArray(lanes, 0);
        a1.add(b1).intoArray(lanes, L);
        a2.add(b2).intoArray(lanes, 2 * L);
        a3.add(b3).intoArray(lanes, 3 * L);
        int o = t * rows + row;
        out[o] = Lanes.sumInPlace(lanes, 0, L);
        out[o + stride] = Lanes.sumInPlace(lanes, L, L);
        out[o + 2 * stride] = Lanes.sumInPlace(lanes, 2 * L, L);
        out[o + 3 * stride] = Lanes.sumInPlace(lanes, 3 * L, L);
    }

    /** {@link #blockSum} with its four steps written out (L = 8). */
    private FloatVector blockSum8(long o, float[] x, int xOff) {
        FloatVector s = QuantLanes.toFloat(QuantLanes.load(data, o + 2)).mul(FloatVector.fromArray(FL, x, xOff));
        s = QuantLanes.toFloat(QuantLanes.load(data, o + 10)).fma(FloatVector.fromArray(FL, x, xOff + 8), s);
        s = QuantLanes.toFloat(QuantLanes.load(data, o + 18)).fma(FloatVector.fromArray(FL, x, xOff + 16), s);
        return QuantLanes.toFloat(QuantLanes.load(data, o + 26)).fma(FloatVector.fromArray(FL, x, xOff + 24), s);
    }

    /** out[outOff + i] = {@link #dot}(row + i, x, xOff) for i < 4, with the same arithmetic. */
    private void rows4(int row, float[] x, int xOff, float[] out, int outOff) {
        long o0 = row * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++, o0 += 34, o1 += 34, o2 += 34, o3 += 34, xOff += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 32; k += L) {
                FloatVector xv = FloatVector.fromArray(FL, x, xOff + k);
                s0 = QuantLanes.toFloat(QuantLanes.load(data, o0 + 2 + k)).fma(xv, s0);
                s1 = QuantLanes.toFloat(QuantLanes.load(data, o1 + 2 + k)).fma(xv, s1);
                s2 = QuantLanes.toFloat(QuantLanes.load(data, o2 + 2 + k)).fma(xv, s2);
                s3 = QuantLanes.toFloat(QuantLanes.load(data, o3 + 2 + k)).fma(xv, s3);
            }
            FloatVector d0 = FloatVector.broadcast(FL, half(o0)), d1 = FloatVector.broadcast(FL, half(o1));
            FloatVector d2 = FloatVector.broadcast(FL, half(o2)), d3 = FloatVector.broadcast(FL, half(o3));
            // even blocks to accumulators a, odd ones to b, as in dot
            if ((b & 1) == 0) { a0 = s0.fma(d0, a0); a1 = s1.fma(d1, a1); a2 = s2.fma(d2, a2); a3 = s3.fma(d3, a3); }
            else { b0 = s0.fma(d0, b0); b1 = s1.fma(d1, b1); b2 = s2.fma(d2, b2); b3 = s3.fma(d3, b3); }
        }
        out[outOff] = Lanes.sum(a0.add(b0));
        out[outOff + 1] = Lanes.sum(a1.add(b1));
        out[outOff + 2] = Lanes.sum(a2.add(b2));
        out[outOff + 3] = Lanes.sum(a3.add(b3));
    }

    /** {@link #dot} for tokens t..t+3 with the same arithmetic per token, so the bits are the same. */
    private void dot4(int row, float[] x, int t, float[] out) {
        long o = row * rowBytes;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++, o += 34, x0 += 32, x1 += 32, x2 += 32, x3 += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 32; k += L) {
                FloatVector w = QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k));
                s0 = w.fma(FloatVector.fromArray(FL, x, x0 + k), s0);
                s1 = w.fma(FloatVector.fromArray(FL, x, x1 + k), s1);
                s2 = w.fma(FloatVector.fromArray(FL, x, x2 + k), s2);
                s3 = w.fma(FloatVector.fromArray(FL, x, x3 + k), s3);
            }
            FloatVector d = FloatVector.broadcast(FL, half(o));
            if ((b & 1) == 0) { a0 = s0.fma(d, a0); a1 = s1.fma(d, a1); a2 = s2.fma(d, a2); a3 = s3.fma(d, a3); }
            else { b0 = s0.fma(d, b0); b1 = s1.fma(d, b1); b2 = s2.fma(d, b2); b3 = s3.fma(d, b3); }
        }
        out[t * rows + row] = Lanes.sum(a0.add(b0));
        out[(t + 1) * rows + row] = Lanes.sum(a1.add(b1));
        out[(t + 2) * rows + row] = Lanes.sum(a2.add(b2));
        out[(t + 3) * rows + row] = Lanes.sum(a3.add(b3));
    }

    /**
     * Decode (1-3 tokens) in llama.cpp's arithmetic, opt-in: {@code -Dactlab.q8IntDecode=true} (default off; the
     * default kernel multiplies the float x). x is rounded to Q8_0 blocks as ggml rounds a Q8_0 matmul's input
     * ({@link GgmlInputRounding#Q8_0}: d = F16(amax / 127), q = round-half-even(x 127 / amax)), and each block's
     * products of int8 weights and int8 q are summed exactly in integers, then scaled by d_w d_x in float, as
     * ggml's Q8_0 x Q8_0 dot does. What changes against the float kernel: x's rounding (relative error up to
     * ~1/254 per value) and the float summation (integer block sums on 8 lanes of 4 products, one FMA per block
     * and lane). Reference: {@link #dotIntScalar}. A volatile field (initialized from the property) so that an
     * in-process benchmark can alternate the two kernels.
     */
    static volatile boolean intDecode = Boolean.getBoolean("actlab.q8IntDecode");

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /** x of n tokens rounded to Q8_0 blocks: per token and block the scale d and 32 int8 values packed two per int. */
    record RoundedInput(int[] pairs, float[] scales) {}

    RoundedInput roundInput(float[] x, int n) {
        if (x.length < (long) n * cols) throw new IllegalArgumentException("Q8_0 [" + rows + ", " + cols + "] with " + n + " tokens needs x of " + (long) n * cols + " floats, got " + x.length);
        int[] pairs = new int[n * cols / 2];
        float[] scales = new float[n * blocks];
        for (int i = 0; i < n * blocks; i++) scales[i] = GgmlInputRounding.q8_0Ints(x, 32 * i, pairs, 16 * i);
        return new RoundedInput(pairs, scales);
    }

    /**
     * out[t * rows + r] for rows [from, to) and tokens t < n: per block, 8 int lanes of exact sums of 4 products
     * (lane i: weights 2i, 2i + 1, 16 + 2i, 17 + 2i of the block; int16 products, |w q| <= 128 * 127, so two of
     * them fit a short), converted to float and added by an FMA with d_w d_x, even blocks into one accumulator and
     * odd ones into another; then the lane sum. Same arithmetic as {@link #dotIntScalar}.
     */
    private void rowsInt(RoundedInput q, int n, float[] out, int from, int to) {
        int[] pairs = q.pairs();
        float[] d = q.scales(), lanes = new float[8];
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = r * rowBytes;
                int xo = t * cols / 2, db = t * blocks, b = 0;
                FloatVector even = FloatVector.zero(F8), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 68, xo += 32) {
                    even = blockInt(o, pairs, xo).fma(FloatVector.broadcast(F8, half(o) * d[db + b]), even);
                    odd = blockInt(o + 34, pairs, xo + 16).fma(FloatVector.broadcast(F8, half(o + 34) * d[db + b + 1]), odd);
                }
                if (b < blocks) even = blockInt(o, pairs, xo).fma(FloatVector.broadcast(F8, half(o) * d[db + b]), even);
                // Lanes.sum's additions, on an array: in this method C2 stops inlining before Lanes.sum and would box
                even.add(odd).intoArray(lanes, 0);
                out[t * rows + r] = Lanes.sumInPlace(lanes, 0, 8);
            }
    }

    /** The block at o times the rounded x at pairs[xo, xo + 16): 8 float lanes of exact integer sums (see rowsInt). */
    private FloatVector blockInt(long o, int[] pairs, int xo) {
        ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B16, data, o + 2, ByteOrder.LITTLE_ENDIAN).castShape(S16, 0);
        ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B16, data, o + 18, ByteOrder.LITTLE_ENDIAN).castShape(S16, 0);
        ShortVector p = w0.mul(IntVector.fromArray(I8, pairs, xo).reinterpretAsShorts())
                .add(w1.mul(IntVector.fromArray(I8, pairs, xo + 8).reinterpretAsShorts()));
        IntVector pi = p.reinterpretAsInts();   // lane i: shorts 2i (low half) and 2i + 1 (high half)
        IntVector s = pi.lanewise(VectorOperators.ASHR, 16).add(pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
        return (FloatVector) s.convert(VectorOperators.I2F, 0);
    }

    /**
     * The scalar reference of the opt-in integer decode ({@link #intDecode}) for one row and one token: the same
     * lanes, integer sums, FMAs and lane-sum order as rowsInt, one value at a time. x is the token's input (cols
     * floats from xOff), rounded here as {@link GgmlInputRounding#Q8_0} rounds it.
     */
    float dotIntScalar(int row, float[] x, int xOff) {
        float[] even = new float[8], odd = new float[8];
        int[] pairs = new int[16];
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 34) {
            float dx = GgmlInputRounding.q8_0Ints(x, xOff + 32 * b, pairs, 0);
            float dd = half(o) * dx;
            float[] acc = b % 2 == 0 ? even : odd;
            for (int i = 0; i < 8; i++) {
                int s = 0;
                for (int j : new int[]{2 * i, 2 * i + 1, 16 + 2 * i, 17 + 2 * i}) {
                    int qx = (short) (j % 2 == 0 ? pairs[j / 2] : pairs[j / 2] >> 16);
                    s += i8(o + 2 + j) * qx;
                }
                acc[i] = Math.fma((float) s, dd, acc[i]);
            }
        }
        for (int i = 0; i < 8; i++) even[i] += odd[i];
        for (int half = 4; half > 0; half >>= 1)
            for (int i = 0; i < half; i++) even[i] += even[i + half];
        return even[0];
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 34) {
            float s = 0;
            for (int j = 0; j < 32; j++) s += i8(o + 2 + j) * x[xOff + b * 32 + j];
            sum += s * half(o);
        }
        return sum;
    }

    @Override public void dequantize(int row, int col, int len, float[] dst, int off) {
        long o = row * rowBytes + (col / 32) * 34L;
        for (int b = 0; b < len / 32; b++, o += 34, off += 32) {
            FloatVector d = FloatVector.broadcast(FL, half(o));
            for (int k = 0; k < 32; k += L) QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k)).mul(d).intoArray(dst, off + k);
        }
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 34) {
            float d = half(o);
            for (int j = 0; j < 32; j++) dst[off + b * 32 + j] = i8(o + 2 + j) * d;
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q8_0_ref:
     * d = max|x| / 127, q = roundf(x / d) (half away from zero).
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 34) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[off + j]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(I16, dstOff, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, dstOff + 2 + j, (byte) roundHalfAway(src[off + j] * id));
        }
    }

    /** C's roundf. */
    static int roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }
}
