package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;

/**
 * TEAL calibration: the magnitude threshold of every site for one target sparsity, uniform over the
 * sites: a site's threshold is the target-quantile of |x| over all its calibration values (see
 * {@link SiteDistributions}), so that fraction of them falls below it.
 */
public final class TealCalibration {
    private TealCalibration() {}

    public static Thresholds calibrate(LlamaModel model, int[] tokens, double sparsity, String source, Progress progress) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("target sparsity " + sparsity + " must be in [0, 1)");
        return SiteDistributions.collect("teal", model, tokens, source, progress).uniform(sparsity);
    }
}
