package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.I;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml IQ4_NL: blocks of 32 weights, 18 bytes: f16 d, then 16 bytes whose low nibbles index weights
 * 0..15 and high nibbles weights 16..31 into 16 non-uniform levels; weight = d * LEVELS[index].
 */
public final class IQ4NLMatrix extends PackedMatrix {
    /** The levels (ggml's kvalues_iq4nl): denser near zero, where most weights are. */
    static final int[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    // the levels split in two halves of 8, each repeated to fill L lanes: a lane picks index & 7 from
    // the half that index >> 3 names (one 8-entry table lookup works for both AVX2 and AVX-512 widths)
    private static final IntVector LOW, HIGH;
    static {
        int[] lo = new int[L], hi = new int[L];
        for (int i = 0; i < L; i++) { lo[i] = LEVELS[i % 8]; hi[i] = LEVELS[8 + i % 8]; }
        LOW = IntVector.fromArray(I, lo, 0);
        HIGH = IntVector.fromArray(I, hi, 0);
    }

    public IQ4NLMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.IQ4_NL); }

    @Override public DType dtype() { return DType.IQ4_NL; }

    private static FloatVector levels(IntVector index) {
        IntVector low = index.and(7);
        return (FloatVector) low.selectFrom(LOW).blend(low.selectFrom(HIGH), index.compare(VectorOperators.GE, 8)).castShape(FL, 0);
    }

    /* Per block: s = sum level * x in float lanes, then acc += s * d (even blocks in one accumulator, odd in another). */
    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(FL), acc1 = acc0;
        for (int b = 0; b < blocks; b++, o += 18, xOff += 32) {
            FloatVector s = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 2 + k)).and(0xFF);
                s = levels(q.and(15)).fma(FloatVector.fromArray(FL, x, xOff + k), s);
                s = levels(q.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(FL, x, xOff + 16 + k), s);
            }
            FloatVector d = FloatVector.broadcast(FL, half(o));
            if ((b & 1) == 0) acc0 = s.fma(d, acc0); else acc1 = s.fma(d, acc1);
        }
        return Lanes.sum(acc0.add(acc1));
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        float[] w = new float[cols];
        dequantizeRow(row, w, 0);
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += w[c] * x[xOff + c];
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 18) {
            float d = half(o);
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 2 + j);
                dst[off + b * 32 + j] = d * LEVELS[q & 0xF];
                dst[off + b * 32 + 16 + j] = d * LEVELS[q >> 4];
            }
        }
    }
}
