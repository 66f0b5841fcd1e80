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
 * ggml Q4_0: blocks of 32 weights, 18 bytes each: f16 scale d, then 16 bytes whose low nibbles
 * are weights 0..15 and high nibbles weights 16..31; weight = (q - 8) * d.
 */
public final class Q4_0Matrix extends PackedMatrix implements TiledMatmul.Tiles {
    public Q4_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_0); }

    @Override public DType dtype() { return DType.Q4_0; }

    /*
     * The kernels zero-extend 8 bytes of a block to int lanes: lo = q & 15 (weights 0..15),
     * hi = q >>> 4 (weights 16..31), no masks, no -8. s = sum lo x + sum hi x (float lanes, the
     * two halves interleaved by 8-lane step), then the offset once per block from the lane sums of
     * x (taken once per x, shared by all rows): acc += (s - 8 sum x) d, one accumulator. dot,
     * rows2 and dot4 do exactly this per output, so all paths give the same bits.
     */

    @Override public float dot(int row, float[] x, int xOff) {
        return dot(row, x, xOff, blockSums(x, xOff, blocks));
    }

    /** {@link #dot} with the block sums of x given ({@link #blockSums}). */
    private float dot(int row, float[] x, int xOff, float[] xs) {
        long o = row * rowBytes + 2;
        FloatVector acc = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 18, xOff += 32) {
            FloatVector s = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toIntUnsigned(QuantLanes.load(data, o + k));
                s = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(FL, x, xOff + 16 + k),
                        QuantLanes.toFloat(q.and(15)).fma(FloatVector.fromArray(FL, x, xOff + k), s));
            }
            acc = s.sub(FloatVector.fromArray(FL, xs, b * L)).fma(FloatVector.broadcast(FL, half(o - 2)), acc);
        }
        return Lanes.sum(acc);
    }

    /**
     * 8 times the lane sums of x over each block: [blocks * L], block b's lane i is
     * 8 (x[i] + x[16 + i] + x[L + i] + x[16 + L + i]) (AVX2 order; L = 16 has two terms), the
     * offset of sum (q - 8) x = sum q x - 8 sum x. 8 s is exact, so 8 is applied after the sum.
     */
    static float[] blockSums(float[] x, int xOff, int blocks) {
        float[] xs = new float[blocks * L];
        for (int b = 0; b < blocks; b++, xOff += 32) {
            FloatVector v = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) v = v.add(FloatVector.fromArray(FL, x, xOff + k)).add(FloatVector.fromArray(FL, x, xOff + 16 + k));
            v.mul(8f).intoArray(xs, b * L);
        }
        return xs;
    }

    /**
     * The block sums of x once per token, before the threads split the rows. Decode (n < 4): two
     * rows per pass over x, so each x vector is loaded once for two rows. Prefill: four tokens per
     * pass over a row, so each block is unpacked once for four tokens.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        if (n < 4 && intDecode && L == 16) {
            // x rounded to Q8_0 blocks once per call, shared (read only) by the threads
            RoundedInput q = roundInput(x, n);
            par.forRange(rows, 16, (from, to) -> rowsInt(q, n, out, from, to));
            return;
        }
        float[][] xs = new float[n][];
        for (int t = 0; t < n; t++) xs[t] = blockSums(x, t * cols, blocks);
        if (n < 4) { par.forRange(rows, 16, (from, to) -> { for (int t = 0; t < n; t++) decodeRows(from, to, x, t, xs[t], out); }); return; }
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(r, x, t, xs, out);
                for (; t < n; t++) out[t * rows + r] = dot(r, x, t * cols, xs[t]);
            }
        });
    }

    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        if (intDecode && L == 16) { rowsInt(roundInput(x, n), n, out, from, to); return; }
        for (int t = 0; t < n; t++) decodeRows(from, to, x, t, blockSums(x, t * cols, blocks), out);
    }

    /** Rows [from, to) of token t: pairs by {@link #rows2}, an odd last row by {@link #dot}. */
    private void decodeRows(int from, int to, float[] x, int t, float[] xs, float[] out) {
        int pairs = from + (to - from) / 2 * 2;
        rows2(from, pairs, x, t * cols, xs, out, t * rows);
        if (pairs < to) out[t * rows + pairs] = dot(pairs, x, t * cols, xs);
    }

    /**
     * out[outOff + r] = {@link #dot}(r, x, xOff) for r in [from, to), to - from even, with the
     * same arithmetic, two rows per pass over x. Two rows, not three or four: measured slower, and
     * four rows' unpacking makes the method too big for C2 to inline every vector operation
     * (NodeCountInliningCutoff; a vector op left as a call allocates). The loop over rows is
     * here, not in the caller: with one call per row pair C2 sometimes compiled the kernel to
     * run at half speed (measured on AVX2; never with the loop inside).
     */
    private void rows2(int from, int to, float[] x, int xOff, float[] xs, float[] out, int outOff) {
        MemorySegment data = this.data;
        for (int r = from; r < to; r += 2) {
            long o0 = r * rowBytes + 2, o1 = o0 + rowBytes;
            FloatVector a0 = FloatVector.zero(FL), a1 = a0;
            for (int b = 0, xb = xOff; b < blocks; b++, o0 += 18, o1 += 18, xb += 32) {
                FloatVector s0 = FloatVector.zero(FL), s1 = s0;
                for (int k = 0; k < 16; k += L) {
                    FloatVector xl = FloatVector.fromArray(FL, x, xb + k), xh = FloatVector.fromArray(FL, x, xb + 16 + k);
                    IntVector q = QuantLanes.toIntUnsigned(QuantLanes.load(data, o0 + k));
                    s0 = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(xh, QuantLanes.toFloat(q.and(15)).fma(xl, s0));
                    q = QuantLanes.toIntUnsigned(QuantLanes.load(data, o1 + k));
                    s1 = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(xh, QuantLanes.toFloat(q.and(15)).fma(xl, s1));
                }
                FloatVector xsb = FloatVector.fromArray(FL, xs, b * L);
                a0 = s0.sub(xsb).fma(FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o0 - 2))), a0);
                a1 = s1.sub(xsb).fma(FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o1 - 2))), a1);
            }
            out[outOff + r] = Lanes.sum(a0);
            out[outOff + r + 1] = Lanes.sum(a1);
        }
    }

    /** {@link #dot} for tokens t..t+3 with the same arithmetic per token, so the bits are the same. */
    private void dot4(int row, float[] x, int t, float[][] xs, float[] out) {
        long o = row * rowBytes + 2;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        float[] xs0 = xs[t], xs1 = xs[t + 1], xs2 = xs[t + 2], xs3 = xs[t + 3];
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, o += 18, x0 += 32, x1 += 32, x2 += 32, x3 += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toIntUnsigned(QuantLanes.load(data, o + k));
                FloatVector lo = QuantLanes.toFloat(q.and(15)), hi = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4));
                s0 = hi.fma(FloatVector.fromArray(FL, x, x0 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x0 + k), s0));
                s1 = hi.fma(FloatVector.fromArray(FL, x, x1 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x1 + k), s1));
                s2 = hi.fma(FloatVector.fromArray(FL, x, x2 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x2 + k), s2));
                s3 = hi.fma(FloatVector.fromArray(FL, x, x3 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x3 + k), s3));
            }
            FloatVector d = FloatVector.broadcast(FL, half(o - 2));
            a0 = s0.sub(FloatVector.fromArray(FL, xs0, b * L)).fma(d, a0);
            a1 = s1.sub(FloatVector.fromArray(FL, xs1, b * L)).fma(d, a1);
            a2 = s2.sub(FloatVector.fromArray(FL, xs2, b * L)).fma(d, a2);
            a3 = s3.sub(FloatVector.fromArray(FL, xs3, b * L)).fma(d, a3);
        }
        out[t * rows + row] = Lanes.sum(a0);
        out[(t + 1) * rows + row] = Lanes.sum(a1);
        out[(t + 2) * rows + row] = Lanes.sum(a2);
        out[(t + 3) * rows + row] = Lanes.sum(a3);
    }

    /**
     * Decode (1-3 tokens) in llama.cpp's arithmetic, opt-in: {@code -Dactlab.q4IntDecode=true} (default off; the
     * default kernel multiplies the float x), on AVX-512 only (512-bit float lanes; elsewhere the switch is
     * ignored). x is rounded to Q8_0 blocks as ggml rounds a Q4_0 matmul's input ({@link GgmlInputRounding#Q8_0}),
     * each block's products of (q - 8) and the rounded x are summed exactly in 16-bit integer lanes, then scaled by
     * d_w d_x in float. What changes against the float kernel: x's rounding (up to ~1/254 relative per value) and
     * the float summation. Reference: {@link #dotIntScalar}. A volatile field (initialized from the property) so an
     * in-process benchmark can alternate the two kernels.
     */
    static volatile boolean intDecode = Boolean.getBoolean("actlab.q4IntDecode");

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;

    /**
     * x of n tokens rounded to Q8_0 blocks, in the form {@link #blockInt} multiplies: per token and block 24 ints,
     * each two shorts (lane k of 16): xl_k = x_k, y_k = x_{16+k} - 16 x_k, c_k = 8 (x_k + x_{16+k}) (x_j the j-th
     * rounded value / d, in -127..127); and the block's d.
     */
    record RoundedInput(int[] lanes, float[] scales) {}

    RoundedInput roundInput(float[] x, int n) {
        if (x.length < (long) n * cols) throw new IllegalArgumentException("Q4_0 [" + rows + ", " + cols + "] with " + n + " tokens needs x of " + (long) n * cols + " floats, got " + x.length);
        int[] lanes = new int[n * blocks * 24], pairs = new int[16];
        float[] scales = new float[n * blocks];
        short[] v = new short[48];
        for (int i = 0; i < n * blocks; i++) {
            scales[i] = GgmlInputRounding.q8_0Ints(x, 32 * i, pairs, 0);
            for (int k = 0; k < 16; k++) {
                int lo = value(pairs, k), hi = value(pairs, 16 + k);
                v[k] = (short) lo;
                v[16 + k] = (short) (hi - 16 * lo);
                v[32 + k] = (short) (8 * (lo + hi));
            }
            for (int k = 0; k < 24; k++) lanes[24 * i + k] = (v[2 * k] & 0xFFFF) | (v[2 * k + 1] << 16);
        }
        return new RoundedInput(lanes, scales);
    }

    /** Value j (0..31) of a block packed by {@link GgmlInputRounding#q8_0Ints}. */
    private static int value(int[] pairs, int j) { return (short) (j % 2 == 0 ? pairs[j / 2] : pairs[j / 2] >> 16); }

    /**
     * out[t * rows + r] for rows [from, to) and tokens t < n: per block 16 float lanes of exact integer sums
     * (lane k: (q_k - 8) x_k + (q_{16+k} - 8) x_{16+k}), one FMA with d_w d_x per block, even blocks into one
     * accumulator and odd ones into another; then the lanes added in {@link Lanes#sum}'s order. Same arithmetic as
     * {@link #dotIntScalar}.
     */
    private void rowsInt(RoundedInput q, int n, float[] out, int from, int to) {
        int[] lanes = q.lanes();
        float[] d = q.scales(), sum = KernelScratch.get().floats(0, 16);
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = r * rowBytes;
                int xo = t * blocks * 24, db = t * blocks, b = 0;
                FloatVector even = FloatVector.zero(F16), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 36, xo += 48) {
                    even = blockInt(o, lanes, xo).fma(FloatVector.broadcast(F16, half(o) * d[db + b]), even);
                    odd = blockInt(o + 18, lanes, xo + 24).fma(FloatVector.broadcast(F16, half(o + 18) * d[db + b + 1]), odd);
                }
                if (b < blocks) even = blockInt(o, lanes, xo).fma(FloatVector.broadcast(F16, half(o) * d[db + b]), even);
                // Lanes.sum's additions on an array: a vector passed to a call C2 does not inline would be boxed
                even.add(odd).intoArray(sum, 0);
                out[t * rows + r] = Lanes.sumInPlace(sum, 0, 16);
            }
    }

    /**
     * The block at o times the rounded x at lanes[xo, xo + 24): with v_k = byte k zero-extended (q_k + 16 q_{16+k}),
     * v_k xl_k + (v_k >> 4) y_k - c_k = (q_k - 8) x_k + (q_{16+k} - 8) x_{16+k}, computed in shorts modulo 2^16 and
     * exact, as its value is within +-2032; then widened to 16 float lanes.
     */
    private FloatVector blockInt(long o, int[] lanes, int xo) {
        ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, data, o + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
        ShortVector p = v.mul(IntVector.fromArray(I8, lanes, xo).reinterpretAsShorts())
                .add(v.lanewise(VectorOperators.LSHR, 4).mul(IntVector.fromArray(I8, lanes, xo + 8).reinterpretAsShorts()))
                .sub(IntVector.fromArray(I8, lanes, xo + 16).reinterpretAsShorts());
        return (FloatVector) p.castShape(F16, 0);
    }

    /**
     * The scalar reference of the opt-in integer decode ({@link #intDecode}) for one row and one token: the same
     * 16 lanes, integer sums, FMAs and lane-sum order as rowsInt, one value at a time. x is the token's input (cols
     * floats from xOff), rounded here as {@link GgmlInputRounding#Q8_0} rounds it.
     */
    float dotIntScalar(int row, float[] x, int xOff) {
        float[] even = new float[16], odd = new float[16];
        int[] pairs = new int[16];
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 18) {
            float dd = half(o) * GgmlInputRounding.q8_0Ints(x, xOff + 32 * b, pairs, 0);
            float[] acc = b % 2 == 0 ? even : odd;
            for (int k = 0; k < 16; k++) {
                int q = u8(o + 2 + k);
                int s = ((q & 15) - 8) * value(pairs, k) + ((q >> 4) - 8) * value(pairs, 16 + k);
                acc[k] = Math.fma((float) s, dd, acc[k]);
            }
        }
        for (int k = 0; k < 16; k++) even[k] += odd[k];
        for (int h = 8; h > 0; h >>= 1)
            for (int k = 0; k < h; k++) even[k] += even[k + h];
        return even[0];
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 18) {
            float s = 0;
            int xb = xOff + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 2 + j);
                s += ((q & 0xF) - 8) * x[xb + j] + ((q >> 4) - 8) * x[xb + 16 + j];
            }
            sum += s * half(o);
        }
        return sum;
    }

    @Override public void dequantize(int row, int col, int len, float[] dst, int off) {
        long o = row * rowBytes + (col / 32) * 18L;
        for (int b = 0; b < len / 32; b++, o += 18, off += 32) {
            FloatVector d = FloatVector.broadcast(FL, half(o));
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 2 + k));
                ((FloatVector) q.and(15).sub(8).castShape(FL, 0)).mul(d).intoArray(dst, off + k);
                ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0)).mul(d).intoArray(dst, off + 16 + k);
            }
        }
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 18) {
            float d = half(o);
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 2 + j);
                dst[off + b * 32 + j] = ((q & 0xF) - 8) * d;
                dst[off + b * 32 + 16 + j] = ((q >> 4) - 8) * d;
            }
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q4_0_ref: the value of
     * largest magnitude maps to -8, d = max / -8, q = min(15, (int8) (x / d + 8.5)).
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 18) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[off + j];
                if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(I16, dstOff, Float.floatToFloat16(d));
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (byte) (int) (src[off + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (int) (src[off + 16 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, dstOff + 2 + j, (byte) (lo | (hi << 4)));
            }
        }
    }
}
