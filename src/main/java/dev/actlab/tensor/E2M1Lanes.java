package dev.actlab.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * 4-bit E2M1 codes (sign, 2 exponent bits, 1 mantissa bit) to twice their value, on int lanes
 * without a table: the magnitude code m = e << 1 | f is worth (2 + f) << e / 2 for e > 0 and f
 * for e = 0, i.e. twice {0, 0.5, 1, 1.5, 2, 3, 4, 6} = {0, 1, 2, 3, 4, 6, 8, 12}; bit 3 negates.
 */
final class E2M1Lanes {
    private E2M1Lanes() {}

    /** codes: lanes in [0, 16). Returns {@link Mxfp4Matrix#KVALUES}[code] per lane. */
    static IntVector doubled(IntVector codes) {
        IntVector m = codes.and(7);
        IntVector e = m.lanewise(VectorOperators.LSHR, 1);
        // (2 | f) << e >> 1 is right for every m but 0 (it gives 1): subtract 1 where m == 0
        IntVector mag = m.and(1).or(2).lanewise(VectorOperators.LSHL, e).lanewise(VectorOperators.LSHR, 1)
                .sub(m.sub(1).lanewise(VectorOperators.LSHR, 31));
        IntVector sign = codes.lanewise(VectorOperators.LSHR, 3);      // 0 or 1
        return mag.lanewise(VectorOperators.XOR, sign.neg()).add(sign);   // two's complement negation where sign = 1
    }
}
