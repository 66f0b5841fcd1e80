package dev.actlab.model.gguf;

import dev.actlab.tensor.DType;

/**
 * ggml tensor type ids as stored in GGUF tensor infos, with their block geometry. Only the types
 * with a {@link DType} are executed; the others are known so that messages can name them.
 */
public enum GgmlType {
    F32(0, DType.F32), F16(1, DType.F16),
    Q4_0(2, DType.Q4_0), Q4_1(3, DType.Q4_1),
    Q5_0(6, DType.Q5_0), Q5_1(7, DType.Q5_1),
    Q8_0(8, DType.Q8_0), Q8_1(9, 32, 40),
    Q2_K(10, DType.Q2_K), Q3_K(11, DType.Q3_K),
    Q4_K(12, DType.Q4_K), Q5_K(13, DType.Q5_K), Q6_K(14, DType.Q6_K),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66), IQ2_XS(17, 256, 74), IQ3_XXS(18, 256, 98), IQ1_S(19, 256, 50),
    IQ4_NL(20, DType.IQ4_NL), IQ3_S(21, 256, 110), IQ2_S(22, 256, 82), IQ4_XS(23, 256, 136),
    I8(24, DType.I8), I16(25, 1, 2), I32(26, DType.I32), I64(27, 1, 8),
    F64(28, 1, 8), IQ1_M(29, 256, 56), BF16(30, DType.BF16),
    TQ1_0(34, 256, 54), TQ2_0(35, 256, 66), MXFP4(39, DType.MXFP4);

    public final int id, blockSize, blockBytes;
    /** The dtype that executes it, or null when actlab cannot. */
    public final DType dtype;

    /** A type actlab executes: its block geometry is the dtype's (one definition). */
    GgmlType(int id, DType dtype) { this(id, dtype.blockSize, dtype.blockBytes, dtype); }

    /** A type known by name only, so that messages can name it. */
    GgmlType(int id, int blockSize, int blockBytes) { this(id, blockSize, blockBytes, null); }

    private GgmlType(int id, int blockSize, int blockBytes, DType dtype) {
        this.id = id; this.blockSize = blockSize; this.blockBytes = blockBytes; this.dtype = dtype;
    }

    /** The type with this id, or null when the id is unknown. */
    public static GgmlType ofId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    public static GgmlType of(DType d) {
        for (GgmlType t : values()) if (t.dtype == d) return t;
        throw new IllegalArgumentException(d + " has no ggml type");
    }
}
