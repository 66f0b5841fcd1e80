package dev.actlab.steer;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;

/** Adds one vector [d] to every row of an activation [pos, d], in float: x[i] += v[i] (what ggml_add does). */
public final class AddVector implements Hook {
    private final float[] v;

    public AddVector(float[] v) { this.v = v.clone(); }

    @Override public void apply(Activation a) {
        int d = v.length, width = a.shape[a.shape.length - 1];
        if (width != d) throw new IllegalArgumentException(a.name + " has width " + width + ", the added vector " + d);
        int rows = a.size() / d;
        for (int t = 0; t < rows; t++) {
            int o = a.offset + t * d;
            for (int i = 0; i < d; i++) a.data[o + i] += v[i];
        }
    }
}
