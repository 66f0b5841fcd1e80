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

    /** Prefill of many tokens: the GEMM on float tiles; else the per-row dots. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        super.matmul(x, n, out, par);
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
