package dev.actlab.model.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value with its kind. Java representation of {@code value}: UINT8/INT8 Byte,
 * UINT16/INT16 Short, UINT32/INT32 Integer, UINT64/INT64 Long (unsigned kinds keep their bits),
 * FLOAT32 Float, FLOAT64 Double, BOOL Boolean, STRING String; ARRAY: byte[], short[], int[],
 * long[], float[], double[], boolean[], a String[] or List of String ({@link GgufStrings} when read from a
 * file) by element kind, or GgufValue[] for arrays of arrays. A String[] and a list of the same strings are equal.
 *
 * @param elementType the element kind of an ARRAY, else null
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {
    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if ((type == GgufValueType.ARRAY) != (elementType != null))
            throw new IllegalArgumentException("elementType is required for arrays and only for arrays");
    }

    public static GgufValue of(GgufValueType type, Object value) { return new GgufValue(type, null, value); }
    public static GgufValue string(String s) { return of(GgufValueType.STRING, s); }
    public static GgufValue u32(int v) { return of(GgufValueType.UINT32, v); }
    public static GgufValue f32(float v) { return of(GgufValueType.FLOAT32, v); }
    public static GgufValue array(GgufValueType elementType, Object values) { return new GgufValue(GgufValueType.ARRAY, elementType, values); }

    /** Integer kinds as a long (unsigned kinds zero-extended); null for other kinds. */
    public Long asLong() {
        return switch (type) {
            case UINT8 -> (long) ((Byte) value & 0xFF);
            case INT8 -> (long) (Byte) value;
            case UINT16 -> (long) ((Short) value & 0xFFFF);
            case INT16 -> (long) (Short) value;
            case UINT32 -> Integer.toUnsignedLong((Integer) value);
            case INT32 -> (long) (Integer) value;
            case UINT64, INT64 -> (Long) value;
            default -> null;
        };
    }

    /** Number kinds as a double; null for other kinds. */
    public Double asDouble() {
        if (type == GgufValueType.FLOAT32) return (double) (Float) value;
        if (type == GgufValueType.FLOAT64) return (Double) value;
        Long l = asLong();
        return l == null ? null : l.doubleValue();
    }

    @Override public boolean equals(Object o) {
        return o instanceof GgufValue v && v.type == type && v.elementType == elementType && Objects.deepEquals(comparable(v.value), comparable(value));
    }

    @Override public int hashCode() { return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[]{comparable(value)})); }

    /** String arrays as lists, so that a String[] equals the GgufStrings a reader returns for it. */
    private static Object comparable(Object v) { return v instanceof String[] a ? Arrays.asList(a) : v; }

    @Override public String toString() {
        if (value instanceof java.util.List<?> l) return type + "<" + elementType + ">" + l;
        if (value instanceof Object[] a) return type + "<" + elementType + ">" + Arrays.deepToString(a);
        if (value.getClass().isArray()) return type + "<" + elementType + ">[" + java.lang.reflect.Array.getLength(value) + "]";
        return type + ":" + value;
    }
}
