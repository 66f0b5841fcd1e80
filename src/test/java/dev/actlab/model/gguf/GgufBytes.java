package dev.actlab.model.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Test helper: finds and patches the fields of one tensor info in a GGUF file's bytes. */
public final class GgufBytes {
    private GgufBytes() {}

    /** Position of the n_dims field of tensor `name` (its info: u64 length, name, u32 n_dims, dims, u32 type, u64 offset). */
    public static int nDimsAt(byte[] b, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] needle = new byte[8 + n.length];
        ByteBuffer.wrap(needle).order(ByteOrder.LITTLE_ENDIAN).putLong(n.length).put(n);
        outer:
        for (int i = 0; i + needle.length <= b.length; i++) {
            for (int j = 0; j < needle.length; j++) if (b[i + j] != needle[j]) continue outer;
            return i + needle.length;
        }
        throw new IllegalArgumentException("no tensor info " + name);
    }

    public static int typeAt(byte[] b, String name) { int at = nDimsAt(b, name); return at + 4 + 8 * u32(b, at); }
    public static int offsetAt(byte[] b, String name) { return typeAt(b, name) + 4; }

    public static int u32(byte[] b, int at) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at); }
    public static long u64(byte[] b, int at) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(at); }
    public static void putU32(byte[] b, int at, int v) { ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v); }
    public static void putU64(byte[] b, int at, long v) { ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v); }
    public static void putF32(byte[] b, long at, float v) { ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) at, v); }

    /** Sets tensor `name`'s ggml type id (its dims and offset stay). */
    public static void setType(byte[] b, String name, GgmlType t) { putU32(b, typeAt(b, name), t.id); }

    /** Sets tensor `name`'s data offset (relative to the data section). */
    public static void setOffset(byte[] b, String name, long rel) { putU64(b, offsetAt(b, name), rel); }

    public static long offset(byte[] b, String name) { return u64(b, offsetAt(b, name)); }
}
