package dev.actlab.sae;

import java.util.SplittableRandom;

/** Synthetic activations: each row a sparse non-negative mix of a few of n random unit directions in d dimensions, plus an offset. */
final class PlantedFeatures implements ActivationSource {
    final int d, n, active;
    final float[] dirs, offset;
    private final SplittableRandom rnd;

    PlantedFeatures(int d, int n, int active, long seed) {
        this.d = d; this.n = n; this.active = active;
        SplittableRandom r = new SplittableRandom(seed);
        dirs = new float[n * d];
        for (int i = 0; i < n; i++) {
            double q = 0;
            for (int j = 0; j < d; j++) { float v = (float) (r.nextDouble() * 2 - 1); dirs[i * d + j] = v; q += v * v; }
            for (int j = 0; j < d; j++) dirs[i * d + j] /= (float) Math.sqrt(q);
        }
        offset = new float[d];
        for (int j = 0; j < d; j++) offset[j] = (float) (r.nextDouble() - 0.5);
        rnd = r.split();
    }

    @Override public int width() { return d; }
    @Override public String describe() { return "planted"; }

    @Override public void next(float[] dst, int rows) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(offset, 0, dst, r * d, d);
            for (int a = 0; a < active; a++) {
                int f = rnd.nextInt(n);
                float mag = (float) (1 + rnd.nextDouble());
                for (int j = 0; j < d; j++) dst[r * d + j] += mag * dirs[f * d + j];
            }
        }
    }

    /** Fraction of planted directions whose best decoder row has cosine >= threshold. */
    double recovered(Sae sae, double threshold) {
        int hit = 0;
        for (int f = 0; f < n; f++) {
            double best = -1;
            for (int i = 0; i < sae.dSae(); i++) {
                double dot = 0, q = 0;
                for (int j = 0; j < d; j++) { dot += (double) dirs[f * d + j] * sae.wDec[i * d + j]; q += (double) sae.wDec[i * d + j] * sae.wDec[i * d + j]; }
                best = Math.max(best, dot / Math.sqrt(q));
            }
            if (best >= threshold) hit++;
        }
        return (double) hit / n;
    }
}
