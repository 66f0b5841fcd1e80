package dev.actlab.train;

import java.util.List;

/** Scales all gradients together so that their global L2 norm is at most maxNorm. */
public final class GradientClipping {
    private GradientClipping() {}

    /** Returns the norm before clipping; maxNorm <= 0 only measures. Summed in double, in parameter order. */
    public static double clipGlobalNorm(List<Param> params, double maxNorm) {
        double ss = 0;
        for (Param p : params) for (float g : p.grad()) ss += (double) g * g;
        double norm = Math.sqrt(ss);
        if (maxNorm > 0 && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (Param p : params) {
                float[] g = p.grad();
                for (int i = 0; i < g.length; i++) g[i] *= scale;
            }
        }
        return norm;
    }
}
