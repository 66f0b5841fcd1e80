package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register shapes the quantized kernels share: L quants (bytes) widened to L float lanes,
 * L = 16 with AVX-512, 8 with AVX2. Dequantization happens here, in registers. Block sizes (16,
 * 32) are multiples of L, so kernels step through a block L quants at a time.
 */
final class QuantLanes {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8 ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    static final int L = Math.min(F.length(), 16);
    static final VectorSpecies<Float> FL = VectorSpecies.of(float.class, VectorShape.forBitSize(L * 32));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, FL.vectorShape());

    private QuantLanes() {}

    static ByteVector load(MemorySegment m, long offset) {
        return ByteVector.fromMemorySegment(B, m, offset, ByteOrder.LITTLE_ENDIAN);
    }

    static FloatVector x(float[] x, int offset) { return FloatVector.fromArray(FL, x, offset); }

    /**
     * Signed bytes to int lanes. Nibbles are unpacked on ints: x86 has no byte shifts, so a
     * shift on a ByteVector costs a widen-shift-narrow sequence.
     */
    static IntVector toInt(ByteVector b) { return (IntVector) b.castShape(I, 0); }

    /**
     * Unsigned bytes to int lanes (zero extension): the high nibble is then q >>> 4 with no mask,
     * and neither nibble needs one to undo a sign.
     */
    static IntVector toIntUnsigned(ByteVector b) { return (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0); }

    /** Int lanes to float lanes. */
    static FloatVector toFloat(IntVector v) { return (FloatVector) v.castShape(FL, 0); }

    /** Signed bytes to float lanes. */
    static FloatVector toFloat(ByteVector b) { return (FloatVector) b.castShape(FL, 0); }

    /**
     * Sums of x over each group of {@code group} values (16 or 32: a multiple of L): [cols / group],
     * lanes added as vectors, then {@link Lanes#sum}. The K-quants' offset terms (mins, -32) need them
     * once per x, shared by every row.
     */
    static float[] groupSums(float[] x, int xOff, int cols, int group) {
        float[] xs = new float[cols / group];
        for (int g = 0; g < xs.length; g++, xOff += group) {
            FloatVector v = FloatVector.fromArray(FL, x, xOff);
            for (int k = L; k < group; k += L) v = v.add(FloatVector.fromArray(FL, x, xOff + k));
            xs[g] = Lanes.sum(v);
        }
        return xs;
    }
}
