package dev.actlab.steer;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import java.util.List;
import java.util.Map;

/**
 * Attribution patching (Nanda 2023; AtP, Kramár et al. 2024): the first-order estimate of every
 * patch at once. Patching site s at position p moves its activation by a_clean - a_corrupt;
 * to first order the metric moves by (a_clean - a_corrupt) . dm/da, the gradient taken on the
 * corrupted run. One forward and one backward pass give every site's gradient, where activation
 * patching needs one forward pass per site and position.
 */
public final class AttributionPatching {
    private AttributionPatching() {}

    /**
     * Estimated effects (patched - corrupt), laid out as ActivationPatching.Result.patched:
     * [site][position], or [site][1] summed over positions for Positions.ALL (the estimate is
     * linear in the patch). gradients: site name -> dm/da on the corrupted run, [T, width].
     */
    public static double[][] estimate(ActivationCache clean, ActivationCache corrupt, Map<String, float[]> gradients,
                                      List<String> sites, int T, ActivationPatching.Positions mode) {
        double[][] out = new double[sites.size()][mode == ActivationPatching.Positions.EACH ? T : 1];
        for (int s = 0; s < sites.size(); s++) {
            String name = sites.get(s);
            float[] g = gradients.get(name);
            if (g == null) throw new IllegalArgumentException("no gradient for " + name);
            Activation a = clean.get(name), b = corrupt.get(name);
            int width = a.size() / T;
            if (g.length != a.size() || b.size() != a.size())
                throw new IllegalArgumentException(name + ": gradient has " + g.length + " values, activations " + a.size() + " and " + b.size());
            for (int p = 0; p < T; p++) {
                double e = 0;
                for (int i = p * width; i < (p + 1) * width; i++)
                    e += ((double) a.data[a.offset + i] - b.data[b.offset + i]) * g[i];
                out[s][mode == ActivationPatching.Positions.EACH ? p : 0] += e;
            }
        }
        return out;
    }
}
