package dev.actlab.model.llama;

import java.util.Arrays;

/**
 * Keys and values of the positions processed so far: one session of one sequence. Stored as float32,
 * or rounded to float16 on the way in ({@link LlamaModel#withF16KvCache}: llama.cpp's default cache).
 */
public final class KvCache {
    private final int layers, kvDim, maxPositions;
    private final boolean f16;
    final float[][] keys;     // [layers][positions * kvDim], grown on demand
    final float[][] values;
    private int length;

    public KvCache(LlamaConfig c) { this(c, false); }

    KvCache(LlamaConfig c, boolean f16) {
        this.f16 = f16;
        this.layers = c.layers(); this.kvDim = c.kvDim(); this.maxPositions = c.contextLength();
        this.keys = new float[layers][];
        this.values = new float[layers][];
        // small at first and doubled on demand: a 1B model's 256 positions were 16 MB of heap before any token
        int initial = Math.min(maxPositions, 32);
        for (int l = 0; l < layers; l++) { keys[l] = new float[initial * kvDim]; values[l] = new float[initial * kvDim]; }
    }

    /** Positions processed so far: the position of the next token. */
    public int length() { return length; }

    public int maxPositions() { return maxPositions; }

    /**
     * Sizes the cache once for a session that will hold about this many positions (capped at the
     * context), so that growing on demand leaves no discarded copies behind (generation knows its length).
     */
    public void expectPositions(int positions) {
        int cap = Math.min(maxPositions, Math.max(0, positions));
        if ((long) cap * kvDim <= keys[0].length) return;
        growTo(cap);
    }

    /** Makes room for positions [length, length + n); throws if the context would overflow. */
    void reserve(int n) {
        long need = (long) length + n;
        if (need > maxPositions)
            throw new IllegalArgumentException("sequence of " + need + " positions exceeds the model's context length " + maxPositions);
        if (need * kvDim <= keys[0].length) return;
        int cap = (int) Math.min(maxPositions, Math.max(need, keys[0].length / kvDim * 2L));
        growTo(cap);
    }

    private void growTo(int positions) {
        for (int l = 0; l < layers; l++) {
            keys[l] = Arrays.copyOf(keys[l], positions * kvDim);
            values[l] = Arrays.copyOf(values[l], positions * kvDim);
        }
    }

    /** Stores k and v [n, kvDim] of layer at positions [start, start + n), rounded to float16 when the cache is. */
    void store(int layer, int start, float[] k, float[] v, int n) {
        int off = start * kvDim, len = n * kvDim;
        System.arraycopy(k, 0, keys[layer], off, len);
        System.arraycopy(v, 0, values[layer], off, len);
        if (!f16) return;
        for (int i = off; i < off + len; i++) {
            keys[layer][i] = Float.float16ToFloat(Float.floatToFloat16(keys[layer][i]));
            values[layer][i] = Float.float16ToFloat(Float.floatToFloat16(values[layer][i]));
        }
    }

    void advance(int n) { length += n; }

    /** Forgets everything after the first n positions (e.g. to re-run a suffix). */
    public void truncate(int n) {
        if (n < 0 || n > length) throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + n);
        length = n;
    }
}
