package dev.actlab.tensor;

/**
 * The scale searches of llama.cpp's K-quant quantizers (ggml-quants.c: make_qx_quants,
 * make_q3_quants, make_qkx2_quants, make_qkx3_quants, make_qp_quants), reimplemented from their
 * published behaviour so that actlab writes the same bytes as llama-quantize. Every sum is a float
 * accumulated left to right in element order and every product is evaluated left to right, as the
 * C code compiled without FMA contraction does (ggml-base is built for baseline x86-64); changing
 * the order of any operation changes bytes.
 *
 * <p>Each search quantizes n values x[xo..xo+n) to integer levels written to L[lo..lo+n) and returns
 * the scale; the weighted ones take per-element weights w[wo..wo+n).
 */
final class KQuantSearch {
    private KQuantSearch() {}

    /** Below this largest magnitude a group is all zero (GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * Round to nearest, ties to even, by adding 1.5 * 2^23 and reading the mantissa (ggml's
     * nearest_int); valid for |f| <= 2^22 - 1.
     */
    static int nearestInt(float f) {
        int i = Float.floatToRawIntBits(f + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** f rounded through half precision, as stored in a block's f16 field and read back. */
    static float viaHalf(float f) { return Float.float16ToFloat(Float.floatToFloat16(f)); }

    /**
     * Symmetric levels l in [-nmax, nmax) stored as l + nmax: the element of largest magnitude maps
     * to -nmax, then (rmseType != 0) the scale is refitted by weighted least squares and 18 nearby
     * inverse scales (nmax + 0.1 is, is = -9..9) are tried, keeping the one with the best fit.
     * Weights: w when given, else x^2 (rmseType 1), 1 (2), |x| (3) or sqrt|x| (4).
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo, int rmseType, float[] w, int wo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
            return 1 / iscale;
        }
        boolean returnEarly = rmseType < 0;
        if (returnEarly) rmseType = -rmseType;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = l + nmax;
            float wi = weight(w, wo + i, xi, rmseType);
            sumlx += wi * xi * l;
            suml2 += wi * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0; suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
                float wi = weight(w, wo + i, xi, rmseType);
                sumlx += wi * xi * l;
                suml2 += wi * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float weight(float[] w, int i, float x, int rmseType) {
        if (w != null) return w[i];
        return switch (rmseType) {
            case 1 -> x * x;
            case 2 -> 1;
            case 3 -> Math.abs(x);
            default -> (float) Math.sqrt(Math.abs(x));
        };
    }

    /**
     * Q3_K's symmetric search: levels in [-nmax, nmax) stored as l + nmax; with doRmse, up to five
     * passes move single elements to the level that most improves the x^2-weighted least-squares fit.
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xo, int[] L, int lo, boolean doRmse) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        if (!doRmse) {
            for (int i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
            return 1 / iscale;
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int pass = 0; pass < 5; pass++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i], w = xi * xi;
                int li = L[lo + i];
                float slx = sumlx - w * xi * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int nl = Math.max(-nmax, Math.min(nmax - 1, nearestInt(xi * sl2 / slx)));
                    if (nl != li) {
                        slx += w * xi * nl;
                        sl2 += w * nl * nl;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = nl; sumlx = slx; suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * Asymmetric levels l in [0, nmax] with x ~ scale * l - theMin: starts from the range [min(x, 0),
     * max x], then tries nstep + 1 inverse scales (rmin + rdelta is + nmax) / range, each refitted by
     * weighted least squares for scale and min, keeping the lowest weighted error (absolute error
     * when useMad, else squared). Writes -min to minOut[0] and returns the scale. This is
     * make_qkx2_quants, and make_qkx3_quants when w is null (weights x^2) or given: the two differ
     * only in that default and in testing max <= min rather than max == min, the same test here
     * since min <= max always holds once min is clamped to at most 0.
     */
    static float makeQkxQuants(int n, int nmax, float[] x, int xo, float[] w, int wo, int[] L, int lo, float[] minOut,
                               int[] aux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = wt(w, wo, x[xo]);
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float wi = wt(w, wo + i, xi);
            sumW += wi;
            sumX += wi * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            minOut[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
            L[lo + i] = l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += wt(w, wo + i, xi) * diff;
        }
        if (nstep < 1) {
            minOut[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
                aux[i] = l;
                float wi = wt(w, wo + i, xi);
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXL += wi * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float xi = x[xo + i];
                    float diff = thisScale * aux[i] + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    error += wt(w, wo + i, xi) * diff;
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, L, lo, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }

    private static float wt(float[] w, int i, float x) { return w != null ? w[i] : x * x; }

    /**
     * Non-negative levels l in [0, nmax] (stored as unsigned bytes) for non-negative x, weighted by
     * w: the best of nine inverse scales (nmax + 0.1 is) / max, then up to five passes of single-
     * element moves improving the weighted least-squares fit. Quantizes a super-block's sub-block
     * scales or mins in the importance-weighted K-quants.
     */
    static float makeQpQuants(int n, int nmax, float[] x, int xo, int[] L, int lo, float[] w, int wo) {
        float max = 0;
        for (int i = 0; i < n; i++) max = max > x[xo + i] ? max : x[xo + i];   // C's MAX, kept for signed zeros
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[lo + i] = nearestInt(iscale * x[xo + i]) & 0xFF;
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[xo + i] - scale * L[lo + i];
            bestMse += w[wo + i] * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[xo + i]));
                float diff = x[xo + i] - scaleIs * l;
                mse += w[wo + i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, nearestInt(iscale * x[xo + i]));
            L[lo + i] = l & 0xFF;
            float wi = w[wo + i];
            sumlx += wi * x[xo + i] * l;
            suml2 += wi * l * l;
        }
        for (int pass = 0; pass < 5; pass++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float wi = w[wo + i], xi = x[xo + i];
                int li = L[lo + i];
                float slx = sumlx - wi * xi * li;
                float sl2 = suml2 - wi * li * li;
                if (slx > 0 && sl2 > 0) {
                    int nl = Math.min(nmax, nearestInt(xi * sl2 / slx));
                    if (nl != li) {
                        slx += wi * xi * nl;
                        sl2 += wi * nl * nl;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = nl & 0xFF; sumlx = slx; suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }
}
