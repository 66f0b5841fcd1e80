package dev.actlab.model.tokenizer;

import java.util.List;

/**
 * A list of strings (a vocabulary's pieces, or its merge rules) in one char array, with an index
 * from string to position over the entries a tokenizer looks up. A String object per entry plus a
 * String-keyed table cost ~80 bytes an entry (a 128k vocabulary: ~10 MB of heap, resident for the
 * life of the model); this costs 2 bytes a char and 12 bytes an entry. The index uses open
 * addressing, at most half full, with String.hashCode's polynomial, so a lookup hashes the key
 * String once (cached in it) and compares chars in place.
 */
final class PieceTable {
    private final char[] chars;
    private final int[] start;   // [size + 1]: entry i is chars[start[i], start[i + 1])
    private final int[] slots;   // position + 1 of an indexed entry, 0 = empty
    private final int mask;

    /** The strings of items, none indexed yet. */
    PieceTable(List<String> items) {
        int n = items.size();
        start = new int[n + 1];
        char[] c = new char[Math.max(16, 6 * n)];
        int used = 0;
        for (int i = 0; i < n; i++) {
            String s = items.get(i);
            if (used + s.length() > c.length) {
                long grown = Math.max((long) c.length * 3 / 2, (long) used + s.length());
                if (grown > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("the strings exceed " + (Integer.MAX_VALUE - 16) + " chars");
                c = java.util.Arrays.copyOf(c, (int) grown);
            }
            s.getChars(0, s.length(), c, used);
            used += s.length();
            start[i + 1] = used;
        }
        chars = used == c.length ? c : java.util.Arrays.copyOf(c, used);
        int capacity = Integer.highestOneBit(Math.max(8, 2 * n - 1)) << 1;   // a power of two >= 2 n
        slots = new int[capacity];
        mask = capacity - 1;
    }

    int size() { return start.length - 1; }

    /** Entry i as a new String. */
    String get(int i) { return new String(chars, start[i], start[i + 1] - start[i]); }

    int length(int i) { return start[i + 1] - start[i]; }

    /** Makes entry i findable by {@link #find}, unless an equal entry already is (the first one indexed wins). */
    void index(int i) {
        int h = hash(i);
        int s = spread(h);
        while (slots[s] != 0) {
            if (sameChars(slots[s] - 1, i)) return;
            s = (s + 1) & mask;
        }
        slots[s] = i + 1;
    }

    /** The position of the indexed entry equal to key, or -1. */
    int find(String key) {
        int s = spread(key.hashCode());
        int len = key.length();
        while (slots[s] != 0) {
            int e = slots[s] - 1, from = start[e];
            if (start[e + 1] - from == len && matches(from, key, len)) return e;
            s = (s + 1) & mask;
        }
        return -1;
    }

    private boolean matches(int from, String key, int len) {
        for (int k = 0; k < len; k++) if (chars[from + k] != key.charAt(k)) return false;
        return true;
    }

    private boolean sameChars(int a, int b) {
        int la = length(a);
        if (la != length(b)) return false;
        return java.util.Arrays.equals(chars, start[a], start[a] + la, chars, start[b], start[b] + la);
    }

    /** String.hashCode of entry i. */
    private int hash(int i) {
        int h = 0;
        for (int k = start[i]; k < start[i + 1]; k++) h = 31 * h + chars[k];
        return h;
    }

    private int spread(int h) {
        h *= 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
