package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;

/** What {@code --sparsity} names: a thresholds file, or {@code METHOD:S} (teal:0.5, cats:0.5, ...) to calibrate for sparsity S now. */
public final class SparsitySpec {
    private SparsitySpec() {}

    public static Thresholds resolve(String spec, LlamaModel m, Path calib, int calibTokens, Progress progress) throws IOException {
        return resolve(spec, "uniform", m, calib, calibTokens, progress);
    }

    /** allocation applies to METHOD:S (a file carries its own). */
    public static Thresholds resolve(String spec, String allocation, LlamaModel m, Path calib, int calibTokens, Progress progress) throws IOException {
        if (spec.contains(":") && !spec.contains("/") && !spec.endsWith(".json")) {
            String method = spec.substring(0, spec.indexOf(':')), level = spec.substring(spec.indexOf(':') + 1);
            double s;
            try { s = Double.parseDouble(level); }
            catch (NumberFormatException e) { throw new IllegalArgumentException("--sparsity " + spec + ": \"" + level + "\" is not a number"); }
            return calibrate(method, allocation, m, CalibrationText.of(m, calib, calibTokens), s, progress);
        }
        Thresholds t = Thresholds.read(Path.of(spec));
        t.requireLayers(m.config().layers(), m.source());
        return t;
    }

    public static Thresholds calibrate(String method, LlamaModel m, CalibrationText text, double sparsity, Progress progress) {
        return calibrate(method, "uniform", m, text, sparsity, progress);
    }

    /** Thresholds of a method (teal, wina, cats, chess) for a mean target, allocated uniform or greedy over the sites. */
    public static Thresholds calibrate(String method, String allocation, LlamaModel m, CalibrationText text, double sparsity, Progress progress) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("target sparsity " + sparsity + " must be in [0, 1)");
        if (!allocation.equals("uniform") && !allocation.equals("greedy"))
            throw new IllegalArgumentException("allocation \"" + allocation + "\" is not uniform or greedy");
        SiteDistributions d = SiteDistributions.collect(method, m, text, progress);
        return allocation.equals("uniform") ? d.uniform(sparsity) : GreedyAllocation.allocate(m, d, text.tokens(), sparsity, Progress.NONE);
    }
}
