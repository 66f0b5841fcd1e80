package dev.actlab.steer;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;

/**
 * Directional ablation: every row x of an activation [pos, d] becomes x - (x . v̂) v̂, so nothing
 * of it is left along the unit direction v̂ (the "refusal direction" method, Arditi et al. 2024,
 * applied at every layer's residual stream). The dot product is summed in double.
 */
public final class DirectionalAblation implements Hook {
    private final float[] unit;

    /** @param direction any non-zero vector; its unit vector is what is projected out */
    public DirectionalAblation(float[] direction) { this.unit = unit(direction); }

    /** direction / |direction|; a zero or non-finite vector is refused. */
    public static float[] unit(float[] direction) {
        double ss = 0;
        for (float v : direction) ss += (double) v * v;
        double norm = Math.sqrt(ss);
        if (!(norm > 0) || !Double.isFinite(norm)) throw new IllegalArgumentException("a direction to ablate needs a finite, non-zero length, got " + norm);
        float[] u = new float[direction.length];
        for (int i = 0; i < u.length; i++) u[i] = (float) (direction[i] / norm);
        return u;
    }

    public float[] unitDirection() { return unit.clone(); }

    /** Projects v̂ out of rows [pos] of width d in place. */
    public static void project(float[] x, int offset, int rows, float[] unit) {
        int d = unit.length;
        for (int t = 0; t < rows; t++) {
            int o = offset + t * d;
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double) x[o + i] * unit[i];
            float c = (float) dot;
            for (int i = 0; i < d; i++) x[o + i] -= c * unit[i];
        }
    }

    @Override public void apply(Activation a) {
        int width = a.shape[a.shape.length - 1];
        if (width != unit.length)
            throw new IllegalArgumentException(a.name + " has width " + width + ", the ablated direction " + unit.length);
        project(a.data, a.offset, a.size() / width, unit);
    }
}
