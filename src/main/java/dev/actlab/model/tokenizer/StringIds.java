package dev.actlab.model.tokenizer;

/**
 * A map from strings to non-negative ints (a vocabulary's ids, merge ranks) in two flat arrays with
 * open addressing: 8 bytes a slot at most half full, where a HashMap&lt;String, Integer&gt; spends ~52 bytes
 * an entry on nodes and boxed values (for a 128k vocabulary: ~2 MB instead of ~7 MB of heap).
 */
final class StringIds {
    private final String[] keys;   // [capacity], null = empty
    private final int[] values;    // [capacity]
    private final int mask;
    private int size;

    /** Room for up to expected entries (it must not be exceeded). */
    StringIds(int expected) {
        int capacity = Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1;   // a power of two >= 2 x expected
        keys = new String[capacity];
        values = new int[capacity];
        mask = capacity - 1;
    }

    /** Maps key to value unless key is already present (the first occurrence wins, as Map.putIfAbsent). */
    void putIfAbsent(String key, int value) {
        if (value < 0) throw new IllegalArgumentException("value " + value + " is negative");
        int i = slot(key);
        if (keys[i] != null) return;
        if (2 * (size + 1) > keys.length) throw new IllegalStateException("more than " + keys.length / 2 + " entries");
        keys[i] = key; values[i] = value; size++;
    }

    /** The value of key, or -1 if absent. */
    int get(String key) {
        int i = slot(key);
        return keys[i] == null ? -1 : values[i];
    }

    int size() { return size; }

    /** The slot holding key, or the empty slot where it would go (linear probing from a mixed hash). */
    private int slot(String key) {
        int h = key.hashCode() * 0x9E3779B9;
        int i = (h ^ (h >>> 16)) & mask;
        while (keys[i] != null && !keys[i].equals(key)) i = (i + 1) & mask;
        return i;
    }
}
