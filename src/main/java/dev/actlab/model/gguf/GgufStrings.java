package dev.actlab.model.gguf;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A GGUF array of strings as read from a file: the UTF-8 bytes of all elements in one array,
 * element i decoded when asked for. A 128k-token vocabulary held as 128k String objects costs
 * ~8 MB of heap (two objects a token, UTF-16 for "▁"-pieces) that the loader promotes to the old
 * generation, where it stays resident after the tokenizer has copied it; this costs ~1.4 MB.
 */
public final class GgufStrings extends AbstractList<String> implements RandomAccess {
    private final byte[] utf8;
    private final int[] start;   // [size + 1]: element i is utf8[start[i], start[i + 1])

    GgufStrings(byte[] utf8, int[] start) {
        this.utf8 = utf8;
        this.start = start;
    }

    /** The strings of values, encoded once (for writers and tests). */
    public static GgufStrings of(List<String> values) {
        byte[][] parts = new byte[values.size()][];
        long total = 0;
        for (int i = 0; i < parts.length; i++) { parts[i] = values.get(i).getBytes(StandardCharsets.UTF_8); total += parts[i].length; }
        if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException(total + " bytes of strings do not fit one array");
        byte[] utf8 = new byte[(int) total];
        int[] start = new int[parts.length + 1];
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, utf8, start[i], parts[i].length);
            start[i + 1] = start[i] + parts[i].length;
        }
        return new GgufStrings(utf8, start);
    }

    @Override public int size() { return start.length - 1; }

    @Override public String get(int i) {
        java.util.Objects.checkIndex(i, size());
        return new String(utf8, start[i], start[i + 1] - start[i], StandardCharsets.UTF_8);
    }

    /** The UTF-8 bytes of element i (a copy). */
    public byte[] bytes(int i) {
        java.util.Objects.checkIndex(i, size());
        return java.util.Arrays.copyOfRange(utf8, start[i], start[i + 1]);
    }
}
