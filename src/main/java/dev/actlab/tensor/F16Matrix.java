package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** IEEE half-precision weights, row-major, little-endian (ggml type F16). */
public final class F16Matrix extends PackedMatrix implements TiledMatmul.Tiles {
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, QuantLanes.S.vectorShape());
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, QuantLanes.FL.vectorShape());
    private static final VectorSpecies<Float> F = QuantLanes.FL;
    private static final int L = QuantLanes.L;

    public F16Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.F16); }

    @Override public DType dtype() { return DType.F16; }

    /**
     * 8 halves to 8 floats with integer ops: (h & 0x7fff) << 13 read as a float is the value
     * times 2^-112 for normal and subnormal halves alike; infinities and NaNs keep all-ones exponents.
     */
    static FloatVector load(MemorySegment m, long offset) {
        IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, m, offset, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
        IntVector mag = h.and(0x7fff);
        IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector bits = finite.blend(shifted.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    @Override public float dot(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c + L <= cols; c += L) {
            // the conversion of load(), written out: a helper returning a vector may not be inlined (and would then allocate)
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            IntVector mag = h.and(0x7fff);
            IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
            IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            IntVector bits = finite.blend(shifted.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
            FloatVector w = bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xOff + c), acc);
        }
        float sum = Lanes.sum(acc);
        for (; c < cols; c++) sum += half(base + c * 2L) * x[xOff + c];
        return sum;
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += half(base + c * 2L) * x[xOff + c];
        return sum;
    }

    /** Prefill of many tokens: the GEMM on float tiles; decode (1-3 tokens) four rows per pass; else the per-row dots. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        if (n < 4 && KernelChoice.f16StridedRows) {
            if (x.length < (long) n * cols || out.length < (long) n * rows)
                throw new IllegalArgumentException("matmul of F16 [" + rows + ", " + cols + "] with " + n + " tokens needs x of " + (long) n * cols + " and out of " + (long) n * rows + " floats");
            // chunks of at least ~32K multiply-adds, as F32Matrix: below that a hand-off costs more than it saves
            int grain = (int) Math.min(Math.max(16, rows), (MIN_CHUNK_WORK / ((long) cols * n) + 15) / 16 * 16);
            par.forRange(rows, Math.max(16, grain), (from, to) -> matmulRows(x, n, out, from, to));
            return;
        }
        super.matmul(x, n, out, par);
    }

    private static final long MIN_CHUNK_WORK = 1 << 15;

    /**
     * Decode's rows [from, to), the bits of {@link #dot}: four rows per pass, a quarter of the range apart
     * (four long sequential streams, as F32Matrix's decode), so one x load serves four rows and four
     * independent FMA chains hide each other's latency ({@link KernelChoice#f16StridedRows}).
     */
    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        if (!KernelChoice.f16StridedRows) { super.matmulRows(x, n, out, from, to); return; }
        int q = (to - from) / 4;
        boolean finite = KernelChoice.f16ScaledInput && allFinite();
        for (int t = 0; t < n; t++) {
            float[] xs = finite ? scaledInput(x, t * cols) : null;
            float[] lanes = xs != null ? KernelScratch.get().floats(1, 4 * L) : null;
            if (xs != null) for (int i = 0; i < q; i++) rows4Scaled(from + i, q, xs, x, t, out, lanes);
            else for (int i = 0; i < q; i++) rows4(from + i, q, x, t, out);
            for (int r = from + 4 * q; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
        }
    }

    /**
     * x[off .. off + cols) times 2^112 in this thread's scratch, or null when some |x| is not below 2^16 (or NaN):
     * then the product would overflow. Scaling by a power of two is exact (subnormal x become normal).
     */
    private float[] scaledInput(float[] x, int off) {
        float[] xs = KernelScratch.get().floats(0, cols);
        int c = 0;
        if (vectorScaling)   // L lanes at a time, the same products: every chunk of a decode matmul scales the whole x
            for (; c + L <= cols; c += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + c);
                if (!v.abs().compare(VectorOperators.LT, 0x1p16f).allTrue()) return null;   // NaN compares false too
                v.mul(0x1p112f).intoArray(xs, c);
            }
        for (; c < cols; c++) {
            float v = x[off + c];
            if (!(Math.abs(v) < 0x1p16f)) return null;
            xs[c] = v * 0x1p112f;
        }
        return xs;
    }

    /** For in-process A/B only: scaledInput's vector loop (true) or the scalar one it replaced; same values. */
    static volatile boolean vectorScaling = !"false".equals(System.getProperty("actlab.f16VectorScaling"));

    /** 0 not yet known, 1 no half is an infinity or NaN, 2 some is. Racing first calls compute the same answer. */
    private volatile int finiteState;

    /** Whether no weight is an infinity or a NaN (all-ones exponent): one pass over the matrix, on first use. */
    boolean allFinite() {
        int state = finiteState;
        if (state == 0) finiteState = state = scanFinite() ? 1 : 2;
        return state == 1;
    }

    private boolean scanFinite() {
        long bytes = rows * rowBytes, o = 0;
        for (; o + BS.length() <= bytes; o += BS.length()) {
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, data, o, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            if (h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00).anyTrue()) return false;
        }
        for (; o < bytes; o += 2) if ((data.get(I16, o) & 0x7c00) == 0x7c00) return false;
        return true;
    }

    /**
     * {@link #rows4} for finite weights and x scaled by 2^112 ({@link #scaledInput}): a half's bits moved to a
     * float's place, (h << 13) with the sign-extended half's bit 31 kept, are the half's value times 2^-112
     * exactly (normal halves map to normal floats, subnormal ones to subnormal floats), so w * x = that * (x 2^112)
     * exactly and each FMA rounds the same sum as dot's: the same bits in 2 integer ops per 8 weights instead of 9.
     * The tail uses the real x and weights, as dot.
     */
    private void rows4Scaled(int row, int stride, float[] xs, float[] x, int t, float[] out, float[] lanes) {
        long gap = (long) stride * rowBytes;
        long r0 = row * rowBytes, r1 = r0 + gap, r2 = r1 + gap, r3 = r2 + gap;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        // a plain counted loop (i < steps) with the four offsets advancing as their own long variables: C2 then hoists
        // the segment's bounds checks out of the loop (for c + L <= cols with r + c * 2 it kept ~5 instructions of
        // checking per load, and a safepoint poll)
        int steps = cols / L, c = steps * L;
        long o0 = r0, o1 = r1, o2 = r2, o3 = r3;
        for (int i = 0; i < steps; i++, o0 += 2 * L, o1 += 2 * L, o2 += 2 * L, o3 += 2 * L) {
            FloatVector xv = FloatVector.fromArray(F, xs, i * L);
            a0 = tiny(o0).fma(xv, a0);
            a1 = tiny(o1).fma(xv, a1);
            a2 = tiny(o2).fma(xv, a2);
            a3 = tiny(o3).fma(xv, a3);
        }
        // the lanes parked in scratch and summed in Lanes.sum's order: C2 did not inline all four Lanes.sum calls here,
        // and a vector passed to a call that is not inlined is boxed (48 bytes a row, ~6.5 MB a 110M token)
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        int xo = t * cols, o = t * rows + row;
        out[o] = tail(r0, x, xo, c, Lanes.sumInPlace(lanes, 0, L));
        out[o + stride] = tail(r1, x, xo, c, Lanes.sumInPlace(lanes, L, L));
        out[o + 2 * stride] = tail(r2, x, xo, c, Lanes.sumInPlace(lanes, 2 * L, L));
        out[o + 3 * stride] = tail(r3, x, xo, c, Lanes.sumInPlace(lanes, 3 * L, L));
    }

    /** L halves at offset as floats 2^-112 times their value (finite halves only). */
    private FloatVector tiny(long offset) {
        IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, data, offset, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8fffffff).reinterpretAsFloats();
    }

    /**
     * out[t, row + i * stride] = W[row + i * stride, :] . x[t, :] for i < 4, each as {@link #dot} computes it
     * (one accumulator, Lanes.sum, then the scalar tail). The conversion is {@link #load}'s with the sign
     * taken from the sign-extended half's bit 31 (the same bit as (h & 0x8000) << 16).
     */
    private void rows4(int row, int stride, float[] x, int t, float[] out) {
        long gap = (long) stride * rowBytes;
        long r0 = row * rowBytes, r1 = r0 + gap, r2 = r1 + gap, r3 = r2 + gap;
        int xo = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + L <= cols; c += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + c);
            long o = c * 2L;
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, data, r0 + o, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            IntVector mag = h.and(0x7fff), sh = mag.lanewise(VectorOperators.LSHL, 13);
            IntVector bits = sh.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(sh.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
            a0 = bits.or(h.and(0x80000000)).reinterpretAsFloats().fma(xv, a0);
            h = (IntVector) ByteVector.fromMemorySegment(BS, data, r1 + o, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            mag = h.and(0x7fff); sh = mag.lanewise(VectorOperators.LSHL, 13);
            bits = sh.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(sh.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
            a1 = bits.or(h.and(0x80000000)).reinterpretAsFloats().fma(xv, a1);
            h = (IntVector) ByteVector.fromMemorySegment(BS, data, r2 + o, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            mag = h.and(0x7fff); sh = mag.lanewise(VectorOperators.LSHL, 13);
            bits = sh.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(sh.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
            a2 = bits.or(h.and(0x80000000)).reinterpretAsFloats().fma(xv, a2);
            h = (IntVector) ByteVector.fromMemorySegment(BS, data, r3 + o, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            mag = h.and(0x7fff); sh = mag.lanewise(VectorOperators.LSHL, 13);
            bits = sh.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(sh.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
            a3 = bits.or(h.and(0x80000000)).reinterpretAsFloats().fma(xv, a3);
        }
        int o = t * rows + row;
        out[o] = tail(r0, x, xo, c, Lanes.sum(a0));
        out[o + stride] = tail(r1, x, xo, c, Lanes.sum(a1));
        out[o + 2 * stride] = tail(r2, x, xo, c, Lanes.sum(a2));
        out[o + 3 * stride] = tail(r3, x, xo, c, Lanes.sum(a3));
    }

    /** The scalar columns [c, cols) added to sum one by one, as {@link #dot} does. */
    private float tail(long rowBase, float[] x, int xo, int c, float sum) {
        for (; c < cols; c++) sum += half(rowBase + c * 2L) * x[xo + c];
        return sum;
    }

    /** The conversion of {@link #load} L halves at a time (exact, as Float.float16ToFloat), then the scalar tail. */
    @Override public void dequantize(int row, int col, int len, float[] dst, int off) {
        long base = row * rowBytes + col * 2L;
        int c = 0;
        for (; c + L <= len; c += L) {
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            IntVector mag = h.and(0x7fff);
            IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
            IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            IntVector bits = finite.blend(shifted.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
            bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dst, off + c);
        }
        for (; c < len; c++) dst[off + c] = half(base + c * 2L);
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long base = row * rowBytes;
        for (int c = 0; c < cols; c++) dst[off + c] = half(base + c * 2L);
    }

    /** float32 to half, round to nearest even (as ggml's GGML_FP32_TO_FP16). */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int i = 0; i < n; i++) dst.set(I16, dstOff + 2L * i, Float.floatToFloat16(src[off + i]));
    }
}
