package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q6_K: super-blocks of 256 weights, 210 bytes: 128 bytes ql (low 4 bits), 64 bytes qh
 * (high 2 bits), 16 int8 scales (one per 16 weights), f16 d. Each half of 128 weights uses 64 ql,
 * 32 qh and 8 scales: for l in [0, 32) weights l, l+32, l+64, l+96 take ql[l] low, ql[l+32] low,
 * ql[l] high, ql[l+32] high and qh[l] bits 0-1, 2-3, 4-5, 6-7; weight = d * scale * (q - 32).
 */
public final class Q6KMatrix extends SuperBlockMatrix {
    public Q6KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q6_K); }

    @Override public DType dtype() { return DType.Q6_K; }

    /*
     * weight = d sc_g (q - 32) for the 16-weight group g, so a row's dot is
     * sum_g d sc_g (sum q x over g) - 32 sum_g d sc_g (sum x over g). The sums of x per group do
     * not depend on the row: taken once per x ({@link QuantLanes#groupSums}) and shared by all rows; the
     * offset term is a float per row (32 sum_g (d sc_g) xs_g in float lanes, then across them). The
     * 6-bit q are assembled 32 at a time into bytes, then widened L at a time. Per row: two accumulators
     * (weights l, l + 64 of each half in one, l + 32, l + 96 in the other), acc += s_g (d sc_g);
     * result sum(acc0 + acc1) - off. dot and matmul do exactly this per output: same bits.
     */

    @Override public float dot(int row, float[] x, int xOff) {
        float[] out = new float[1];
        rows(row, row + 1, x, xOff, QuantLanes.groupSums(x, xOff, cols, 16), out, -row);
        return out[0];
    }

    /** Sums of x per group once per token, then the rows (decode and prefill alike). */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        float[][] xs = new float[n][];
        for (int t = 0; t < n; t++) xs[t] = QuantLanes.groupSums(x, t * cols, cols, 16);
        par.forRange(rows, 16, (from, to) -> {
            if (n < 4) { for (int t = 0; t < n; t++) rows(from, to, x, t * cols, xs[t], out, t * rows); return; }
            for (int r = from; r < to; r++)
                for (int t = 0; t < n; t++) rows(r, r + 1, x, t * cols, xs[t], out, t * rows);
        });
    }

    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        for (int t = 0; t < n; t++) rows(from, to, x, t * cols, QuantLanes.groupSums(x, t * cols, cols, 16), out, t * rows);
    }

    /**
     * Rows per pass: one. The three passes over a row's 210-byte blocks then run while the row is in L1;
     * with 16 rows a pass (27 KB of weights at 2048 columns, plus 32 KB of assembled quants), the scale
     * pass's sparse reads of each block's tail missed and stalled, and the passes after it re-read from L2:
     * 2.6-2.8 against 3.9-4.5 GB per CPU-second on one core with AVX-512.
     */
    private static final int CHUNK = 1;

    /**
     * out[outOff + r] = dot(r, x, xOff) for r in [from, to), CHUNK rows at a time: the scales of the
     * chunk's 6-bit quants as bytes ({@link #assemble}), their scales ({@link #scales}), then their dot
     * products ({@link #dots}). Three methods called from this cheap one, not one method: in one
     * compilation unit C2 passes NodeCountInliningCutoff and leaves vector ops as calls (allocating
     * boxes, 0.1-0.3x); with the scales read as scalar bytes inside the loop, the byte reads were
     * calls (PackedMatrix.i8 not inlined: ~40% of the kernel's time under perf).
     */
    private void rows(int from, int to, float[] x, int xOff, float[] xs, float[] out, int outOff) {
        int chunk = Math.min(CHUNK, to - from);
        KernelScratch scratch = KernelScratch.get();
        float[] ds = scratch.floats(0, chunk * blocks * 16), offs = scratch.floats(1, chunk), lanes = scratch.floats(2, chunk * L);
        byte[] q = scratch.bytes(chunk * cols);
        for (int r = from; r < to; r += chunk) {
            int end = Math.min(to, r + chunk);
            assemble(r, end, q); // first: it reads the blocks front to back, so the scale pass's reads of their tails hit
            scales(r, end, xs, ds, offs);
            dots(r, end, x, xOff, ds, q, lanes);
            for (int i = 0; i < end - r; i++) out[outOff + r + i] = laneSum(lanes, i * L) - offs[i];
        }
    }

    /**
     * For rows [from, to): ds[(r - from) blocks 16 + 16 b + g] = d_b sc_g (group g of super-block b)
     * and offs[r - from] = 32 sum_b,g d_b sc_g xs_g, the offset term of (q - 32), summed in float
     * lanes (8 or 16 groups per vector) and then across lanes.
     */
    private void scales(int from, int to, float[] xs, float[] ds, float[] offs) {
        MemorySegment data = this.data;
        for (int r = from, i = 0; r < to; r++) {
            long o = r * rowBytes;
            FloatVector off = FloatVector.zero(FL);
            for (int b = 0; b < blocks; b++, o += 210, i += 16) {
                FloatVector d = FloatVector.broadcast(FL, Float.float16ToFloat(data.get(I16, o + 208)));
                for (int k = 0; k < 16; k += L) {
                    FloatVector s = QuantLanes.toFloat(QuantLanes.load(data, o + 192 + k)).mul(d);
                    s.intoArray(ds, i + k);
                    off = s.fma(FloatVector.fromArray(FL, xs, 16 * b + k), off);
                }
            }
            offs[r - from] = 32 * Lanes.sum(off);
        }
    }

    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;

    /**
     * q[(r - from) cols + c] = the 6-bit quant (0..63) of weight c of row r, for rows [from, to).
     * 32 weights per operation: ql and qh are read as 8 int lanes of 4 bytes each and the bits are
     * moved within the bytes (shifts on the ints, then byte masks 0x0F0F0F0F / 0x30303030 drop what
     * crossed a byte boundary): 17 integer ops per 128 weights, where assembling on int lanes after
     * widening took ~60 plus 12 widenings.
     */
    private void assemble(int from, int to, byte[] q) {
        MemorySegment data = this.data;
        for (int r = from, y = 0; r < to; r++) {
            long o = r * rowBytes;
            for (int b = 0; b < blocks; b++, o += 210) {
                for (int h = 0; h < 2; h++, y += 128) {
                    long ql = o + 64L * h, qh = o + 128 + 32L * h;
                    IntVector a = IntVector.fromMemorySegment(I256, data, ql, ByteOrder.LITTLE_ENDIAN);
                    IntVector c = IntVector.fromMemorySegment(I256, data, ql + 32, ByteOrder.LITTLE_ENDIAN);
                    IntVector hb = IntVector.fromMemorySegment(I256, data, qh, ByteOrder.LITTLE_ENDIAN);
                    // weights l, l+32, l+64, l+96 of this half (l < 32): 4 low bits from ql[l] / ql[l+32] (low, low,
                    // high, high nibble), 2 high bits from qh[l] bits 0-1, 2-3, 4-5, 6-7
                    a.and(0x0F0F0F0F).or(hb.lanewise(VectorOperators.LSHL, 4).and(0x30303030)).reinterpretAsBytes().intoArray(q, y);
                    c.and(0x0F0F0F0F).or(hb.lanewise(VectorOperators.LSHL, 2).and(0x30303030)).reinterpretAsBytes().intoArray(q, y + 32);
                    a.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).or(hb.and(0x30303030)).reinterpretAsBytes().intoArray(q, y + 64);
                    c.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).or(hb.lanewise(VectorOperators.LSHR, 2).and(0x30303030)).reinterpretAsBytes().intoArray(q, y + 96);
                }
            }
        }
    }

    /**
     * lanes[(r - from) L ...] = the L float lanes of sum_g ds_g (sum q x over group g) for rows
     * [from, to), q from {@link #assemble}'s bytes (the caller adds the lanes in {@link Lanes#sum}'s
     * order: Lanes.sum here was not inlined and boxed its argument, one allocation per row).
     */
    private void dots(int from, int to, float[] x, int xOff, float[] ds, byte[] q, float[] lanes) {
        for (int r = from, i = 0, w = 0; r < to; r++) {
            FloatVector acc0 = FloatVector.zero(FL), acc1 = acc0;
            for (int b = 0; b < blocks; b++, i += 16) {
                for (int h = 0; h < 2; h++, w += 128) {
                    int y = xOff + b * 256 + 128 * h;
                    for (int is = 0; is < 2; is++) {
                        // weights l, l+32, l+64, l+96 of this half for l in group is
                        FloatVector s1 = FloatVector.zero(FL), s2 = s1, s3 = s1, s4 = s1;
                        for (int l = 16 * is; l < 16 * is + 16; l += L) {
                            s1 = quants(q, w + l).fma(FloatVector.fromArray(FL, x, y + l), s1);
                            s2 = quants(q, w + 32 + l).fma(FloatVector.fromArray(FL, x, y + 32 + l), s2);
                            s3 = quants(q, w + 64 + l).fma(FloatVector.fromArray(FL, x, y + 64 + l), s3);
                            s4 = quants(q, w + 96 + l).fma(FloatVector.fromArray(FL, x, y + 96 + l), s4);
                        }
                        int sc = i + 8 * h + is;
                        acc0 = s1.fma(FloatVector.broadcast(FL, ds[sc]), acc0);
                        acc1 = s2.fma(FloatVector.broadcast(FL, ds[sc + 2]), acc1);
                        acc0 = s3.fma(FloatVector.broadcast(FL, ds[sc + 4]), acc0);
                        acc1 = s4.fma(FloatVector.broadcast(FL, ds[sc + 6]), acc1);
                    }
                }
            }
            acc0.add(acc1).intoArray(lanes, (r - from) * L);
        }
    }

    /** L quants q[off ...] (0..63) as float lanes. */
    private static FloatVector quants(byte[] q, int off) {
        return QuantLanes.toFloat(QuantLanes.toIntUnsigned(ByteVector.fromArray(QuantLanes.B, q, off)));
    }

    /** {@link Lanes#sum} of the L lanes at lanes[off ...], in its order (pairwise halves), in place. */
    private static float laneSum(float[] lanes, int off) {
        for (int half = L >> 1; half > 0; half >>= 1)
            for (int i = 0; i < half; i++) lanes[off + i] += lanes[off + i + half];
        return lanes[off];
    }

    /**
     * {@link #dequantizeBlocks} L weights at a time (L divides the 16-weight scale groups): (d sc) (q - 32) per weight in
     * float lanes, the same product, so the same floats.
     */
    @Override void dequantizeTile(int row, int first, int count, float[] dst, int off) {
        long o = row * rowBytes + (long) first * 210;
        for (int b = 0; b < count; b++, o += 210) {
            float d = half(o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                int y = off + b * 256 + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    IntVector a = QuantLanes.toIntUnsigned(QuantLanes.load(data, ql + l));
                    IntVector c = QuantLanes.toIntUnsigned(QuantLanes.load(data, ql + 32 + l));
                    IntVector hb = QuantLanes.toIntUnsigned(QuantLanes.load(data, qh + l));
                    IntVector q0 = a.and(0xF).or(hb.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q1 = c.and(0xF).or(hb.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = a.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q3 = c.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    QuantLanes.toFloat(q0).mul(d * i8(sc + is)).intoArray(dst, y + l);
                    QuantLanes.toFloat(q1).mul(d * i8(sc + is + 2)).intoArray(dst, y + 32 + l);
                    QuantLanes.toFloat(q2).mul(d * i8(sc + is + 4)).intoArray(dst, y + 64 + l);
                    QuantLanes.toFloat(q3).mul(d * i8(sc + is + 6)).intoArray(dst, y + 96 + l);
                }
            }
        }
    }

    @Override void dequantizeBlocks(int row, int first, int count, float[] dst, int off) {
        long o = row * rowBytes + (long) first * 210;
        for (int b = 0; b < count; b++, o += 210) {
            float d = half(o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                int y = off + b * 256 + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16, a = u8(ql + l), c = u8(ql + 32 + l), hb = u8(qh + l);
                    dst[y + l] = d * i8(sc + is) * (((a & 0xF) | ((hb & 3) << 4)) - 32);
                    dst[y + 32 + l] = d * i8(sc + is + 2) * (((c & 0xF) | (((hb >> 2) & 3) << 4)) - 32);
                    dst[y + 64 + l] = d * i8(sc + is + 4) * (((a >> 4) | (((hb >> 4) & 3) << 4)) - 32);
                    dst[y + 96 + l] = d * i8(sc + is + 6) * (((c >> 4) | (((hb >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }
}
