package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml Q4_K: super-blocks of 256 weights, 144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit
 * scales/mins ({@link KScales}), 128 bytes of nibbles. Each 64 weights use 32 bytes: low nibbles
 * are sub-block 2i, high nibbles sub-block 2i + 1; weight = d * scale * q - dmin * min.
 */
public final class Q4KMatrix extends SuperBlockMatrix {
    public Q4KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_K); }

    @Override public DType dtype() { return DType.Q4_K; }

    /*
     * weight = d sc q - dmin mn, so a row's dot is sum_j d sc_j (sum q x over sub-block j) -
     * dmin sum_j mn_j (sum x over sub-block j). The sums of x per sub-block of 32 do not depend on
     * the row: taken once per x ({@link QuantLanes#groupSums}) and shared by all rows. Nibbles are
     * unpacked from zero-extended bytes (q & 15, q >>> 4: no masks). Per row: acc += s_j (d sc_j)
     * in float lanes, sub-block after sub-block; min += dmin mn_j xs_j in 8 float lanes (sub-block j
     * in lane j), summed across lanes at the end; result sum(acc) - min. dot, decode and prefill all run {@link #rows}, so they
     * give the same bits.
     */

    @Override public float dot(int row, float[] x, int xOff) {
        float[] out = new float[1];
        rows(row, row + 1, x, xOff, QuantLanes.groupSums(x, xOff, cols, 32), out, -row);
        return out[0];
    }

    /** Sums of x per sub-block once per token, then the rows (decode and prefill alike). */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        float[][] xs = new float[n][];
        for (int t = 0; t < n; t++) xs[t] = QuantLanes.groupSums(x, t * cols, cols, 32);
        if (n < 4) { par.forRange(rows, 16, (from, to) -> { for (int t = 0; t < n; t++) rows(from, to, x, t * cols, xs[t], out, t * rows); }); return; }
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int t = 0; t < n; t++) rows(r, r + 1, x, t * cols, xs[t], out, t * rows);
        });
    }

    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        for (int t = 0; t < n; t++) {
            float[] xs = QuantLanes.groupSums(x, t * cols, cols, 32);
            rows(from, to, x, t * cols, xs, out, t * rows);
        }
    }

    /**
     * Rows per pass: one, so the dot pass reads the row the scale pass has just brought into L1 (with 16 rows,
     * 18 KB at 2048 columns, it came from L2): 4.1-5.3 against 6.0-6.4 GB per CPU-second on one AVX-512 core.
     */
    private static final int CHUNK = 1;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorMask<Integer> FIRST4 = VectorMask.fromLong(I8, 0x0F);

    /**
     * out[outOff + r] = dot(r, x, xOff) for r in [from, to), CHUNK rows at a time: the chunk's
     * scales ({@link #scales}), then its dot products ({@link #dots}). Two methods called from this
     * cheap one: in one compilation unit with the nibble loop, the scale pass's vector ops pushed C2
     * past NodeCountInliningCutoff (vector ops left as calls, 0.1x); the scalar scale pass it
     * replaces (KScales.decode, two int[8] per row) took ~40% of the kernel's time under perf.
     */
    private void rows(int from, int to, float[] x, int xOff, float[] xs, float[] out, int outOff) {
        int chunk = Math.min(CHUNK, to - from);
        KernelScratch scratch = KernelScratch.get();
        float[] ds = scratch.floats(0, chunk * blocks * 8), mins = scratch.floats(1, chunk * 8);
        for (int r = from; r < to; r += chunk) {
            int end = Math.min(to, r + chunk);
            scales(r, end, xs, ds, mins);
            dots(r, end, x, xOff, ds, mins, out, outOff);
        }
    }

    /** Bytes [off, off + 8) zero-extended to 8 int lanes. */
    private static IntVector bytes8(MemorySegment m, long off) {
        return (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, m, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
    }

    /**
     * For rows [from, to): ds[(r - from) blocks 8 + 8 b + j] = d sc_j of super-block b's sub-block j,
     * and mins[8 (r - from) ...] = the 8 float lanes of sum_b dmin_b mn_j xs_j (lane j), added by dots. The
     * 12 bytes of 6-bit scales ({@link KScales}) are decoded on 8 int lanes, sub-block j in lane j:
     * with P = bytes 0..7, Q = bytes 4..11 and R = the 8 bytes before (lane j is byte j - 4),
     * sc = j < 4 ? P & 63 : (Q & 15) | (R >> 6) << 4 and mn = j < 4 ? Q & 63 : (Q >> 4) | (P >> 6) << 4.
     */
    private void scales(int from, int to, float[] xs, float[] ds, float[] mins) {
        MemorySegment data = this.data;
        for (int r = from, i = 0; r < to; r++) {
            long o = r * rowBytes;
            FloatVector min = FloatVector.zero(F8);
            for (int b = 0; b < blocks; b++, o += 144, i += 8) {
                IntVector rr = bytes8(data, o), p = bytes8(data, o + 4), q = bytes8(data, o + 8);
                IntVector sc = q.and(15).or(rr.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).blend(p.and(63), FIRST4);
                IntVector mn = q.lanewise(VectorOperators.LSHR, 4).or(p.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).blend(q.and(63), FIRST4);
                float d = Float.float16ToFloat(data.get(I16, o)), dmin = Float.float16ToFloat(data.get(I16, o + 2));
                ((FloatVector) sc.castShape(F8, 0)).mul(d).intoArray(ds, i);
                min = ((FloatVector) mn.castShape(F8, 0)).mul(dmin).fma(FloatVector.fromArray(F8, xs, 8 * b), min);
            }
            // the 8 lanes parked, added in dots: Lanes.sum takes a 256-bit vector to its scalar path on 512-bit
            // machines, which boxed it and allocated a float[8] per row
            min.intoArray(mins, 8 * (r - from));
        }
    }

    /**
     * out[outOff + r] = sum_j ds_j (sum q x over sub-block j) - min for rows [from, to), one row at
     * a time. One row, not two per pass over x: on AVX2 C2 compiled two rows' loop either rolled
     * (with spills) or, unrolled, past NodeCountInliningCutoff; measured 1.12x and 0.6x of the old
     * kernel against 1.29x for one row.
     */
    private void dots(int from, int to, float[] x, int xOff, float[] ds, float[] mins, float[] out, int outOff) {
        MemorySegment data = this.data;
        for (int r = from, i = 0; r < to; r++) {
            long q = r * rowBytes + 16;
            FloatVector acc = FloatVector.zero(FL);
            for (int j = 0, xl = xOff; j < 8 * blocks; j += 2, i += 2, q += j % 8 == 0 ? 48 : 32, xl += 64) {
                int xh = xl + 32;
                FloatVector sl = FloatVector.zero(FL), sh = sl;
                for (int k = 0; k < 32; k += 2 * L) {
                    IntVector v = QuantLanes.toIntUnsigned(QuantLanes.load(data, q + k));
                    sl = QuantLanes.toFloat(v.and(15)).fma(FloatVector.fromArray(FL, x, xl + k), sl);
                    sh = QuantLanes.toFloat(v.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(FL, x, xh + k), sh);
                    v = QuantLanes.toIntUnsigned(QuantLanes.load(data, q + k + L));
                    sl = QuantLanes.toFloat(v.and(15)).fma(FloatVector.fromArray(FL, x, xl + k + L), sl);
                    sh = QuantLanes.toFloat(v.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(FL, x, xh + k + L), sh);
                }
                acc = sl.fma(FloatVector.broadcast(FL, ds[i]), acc);
                acc = sh.fma(FloatVector.broadcast(FL, ds[i + 1]), acc);
            }
            out[outOff + r] = Lanes.sum(acc) - Lanes.sumInPlace(mins, 8 * (r - from), 8);
        }
    }

    /**
     * {@link #dequantizeBlocks} L weights at a time: (d sc) q - (dmin mn), the same two products and the difference
     * per weight in float lanes (no fused multiply-add), so the same floats. 1B Q4_K_M prefill dequantizes every
     * weight once per call; one byte at a time it cost as much as the GEMM's FMAs over 128 tokens.
     */
    @Override void dequantizeTile(int row, int first, int count, float[] dst, int off) {
        long o = row * rowBytes + (long) first * 144;
        KernelScratch scratch = KernelScratch.get();
        int[] sc = scratch.ints(0, 8), mn = scratch.ints(1, 8);
        for (int b = 0; b < count; b++, o += 144) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                FloatVector dsLo = FloatVector.broadcast(FL, d * sc[2 * i]), dmLo = FloatVector.broadcast(FL, dmin * mn[2 * i]);
                FloatVector dsHi = FloatVector.broadcast(FL, d * sc[2 * i + 1]), dmHi = FloatVector.broadcast(FL, dmin * mn[2 * i + 1]);
                int y = off + b * 256 + 64 * i;
                for (int l = 0; l < 32; l += L) {
                    IntVector q = QuantLanes.toIntUnsigned(QuantLanes.load(data, o + 16 + 32L * i + l));
                    QuantLanes.toFloat(q.and(0xF)).mul(dsLo).sub(dmLo).intoArray(dst, y + l);
                    QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4)).mul(dsHi).sub(dmHi).intoArray(dst, y + 32 + l);
                }
            }
        }
    }

    @Override void dequantizeBlocks(int row, int first, int count, float[] dst, int off) {
        long o = row * rowBytes + (long) first * 144;
        KernelScratch scratch = KernelScratch.get();
        int[] sc = scratch.ints(0, 8), mn = scratch.ints(1, 8);
        for (int b = 0; b < count; b++, o += 144) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                int y = off + b * 256 + 64 * i;
                for (int l = 0; l < 32; l++) {
                    int q = u8(o + 16 + 32L * i + l);
                    dst[y + l] = d * sc[2 * i] * (q & 0xF) - dmin * mn[2 * i];
                    dst[y + 32 + l] = d * sc[2 * i + 1] * (q >> 4) - dmin * mn[2 * i + 1];
                }
            }
        }
    }
}
