package dev.actlab.tensor;

// The kernel as it was before the quantized-kernel work: KernelDuel times it against the current one.

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16 weights (the upper half of a float32), row-major, little-endian (ggml type BF16). */
final class BeforeBF16Matrix extends PackedMatrix {
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, QuantLanes.S.vectorShape());
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, QuantLanes.FL.vectorShape());
    private static final VectorSpecies<Float> F = QuantLanes.FL;
    private static final int L = QuantLanes.L;

    BeforeBF16Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.BF16); }

    @Override public DType dtype() { return DType.BF16; }

    private float value(long offset) { return Float.intBitsToFloat((data.get(I16, offset) & 0xFFFF) << 16); }

    @Override public float dot(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c + L <= cols; c += L) {
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BS, data, base + c * 2L, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts().castShape(I, 0);
            acc = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOff + c), acc);
        }
        float sum = Lanes.sum(acc);
        for (; c < cols; c++) sum += value(base + c * 2L) * x[xOff + c];
        return sum;
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += value(base + c * 2L) * x[xOff + c];
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long base = row * rowBytes;
        for (int c = 0; c < cols; c++) dst[off + c] = value(base + c * 2L);
    }
}
