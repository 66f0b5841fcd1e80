package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16 weights (the upper half of a float32), row-major, little-endian (ggml type BF16). */
public final class BF16Matrix extends PackedMatrix {
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    public BF16Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.BF16); }

    @Override public DType dtype() { return DType.BF16; }

    private static FloatVector load(MemorySegment m, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, m, offset, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private float value(long offset) { return Float.intBitsToFloat((data.get(I16, offset) & 0xFFFF) << 16); }

    @Override public float dot(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            a0 = load(data, base + c * 2L).fma(FloatVector.fromArray(F, x, xOff + c), a0);
            a1 = load(data, base + (c + 8) * 2L).fma(FloatVector.fromArray(F, x, xOff + c + 8), a1);
        }
        for (; c + 8 <= cols; c += 8) a0 = load(data, base + c * 2L).fma(FloatVector.fromArray(F, x, xOff + c), a0);
        float sum = Lanes.sum(a0.add(a1));
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
