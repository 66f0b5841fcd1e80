package dev.actlab.train;

import java.util.Arrays;

/**
 * One trainable tensor: its values and gradient as flat row-major float arrays.
 *
 * @param name  GGUF-style tensor name, e.g. "blk.0.attn_q.weight"
 * @param shape e.g. [out, in] for a matrix, [dim] for a norm weight
 * @param decay whether AdamW's weight decay applies (matrices yes, norm gains no)
 */
public record Param(String name, int[] shape, float[] value, float[] grad, boolean decay) {

    public static Param of(String name, boolean decay, int... shape) {
        long n = 1;
        for (int s : shape) n *= s;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(name + " " + Arrays.toString(shape) + " is too large for one array");
        return new Param(name, shape, new float[(int) n], new float[(int) n], decay);
    }

    public int size() { return value.length; }
}
