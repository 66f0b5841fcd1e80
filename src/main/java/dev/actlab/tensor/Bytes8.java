package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register shapes the quantized kernels share: 8 bytes of quants widened to 8 float lanes
 * (one AVX2 register). Dequantization happens here, in registers.
 */
final class Bytes8 {
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    private Bytes8() {}

    static ByteVector load(MemorySegment m, long offset) {
        return ByteVector.fromMemorySegment(B, m, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /** Signed bytes to float lanes. */
    static FloatVector toFloat(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    /** Low nibbles (0..15). */
    static ByteVector low(ByteVector b) { return b.and((byte) 0x0F); }

    /** High nibbles (0..15). */
    static ByteVector high(ByteVector b) { return b.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F); }
}
