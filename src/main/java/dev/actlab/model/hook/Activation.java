package dev.actlab.model.hook;

import java.util.Arrays;

/**
 * The tensor at one hook site, for the positions of one forward call. It is a view on the
 * forward pass's own buffer: a hook reads it, or overwrites it in place to replace the
 * activation (everything downstream then sees the new values). Copy it to keep it.
 */
public final class Activation {
    public final String name;
    public final float[] data;
    public final int offset;
    public final int[] shape;
    /** Sequence position of the first row (non-zero when decoding with a KV cache). */
    public final int startPos;
    /** Index of the sequence within an encoder batch; 0 for decoders. */
    public final int batchIndex;

    public Activation(String name, float[] data, int offset, int[] shape, int startPos, int batchIndex) {
        this.name = name; this.data = data; this.offset = offset; this.shape = shape;
        this.startPos = startPos; this.batchIndex = batchIndex;
    }

    public int size() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Row-major element access: idx has one index per dimension. */
    public float get(int... idx) { return data[offset + flat(idx)]; }

    public void set(float v, int... idx) { data[offset + flat(idx)] = v; }

    private int flat(int[] idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException(name + " has " + shape.length + " dims, got " + idx.length + " indices");
        int f = 0;
        for (int d = 0; d < shape.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d])
                throw new IndexOutOfBoundsException(name + ": index " + idx[d] + " out of [0, " + shape[d] + ") in dim " + d);
            f = f * shape[d] + idx[d];
        }
        return f;
    }

    /** A detached copy of the values, row-major. */
    public float[] toArray() { return Arrays.copyOfRange(data, offset, offset + size()); }

    public Activation copy() { return new Activation(name, toArray(), 0, shape.clone(), startPos, batchIndex); }

    @Override public String toString() { return name + Arrays.toString(shape) + "@" + startPos; }
}
