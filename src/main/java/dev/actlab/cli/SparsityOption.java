package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.sparsity.SparseModel;
import dev.actlab.sparsity.SparsitySpec;
import dev.actlab.sparsity.Thresholds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** --sparsity FILE|teal:S (and its calibration text), shared by run, ppl and bench. */
final class SparsityOption {
    @Option(names = "--sparsity", paramLabel = "FILE|METHOD:S", description = "Activation sparsity: a thresholds file from `actlab sparsify`, or METHOD:S (teal, wina, cats, chess, rsparse) to calibrate thresholds for sparsity S now.") String spec;
    @Option(names = "--allocation", defaultValue = "uniform", description = "For METHOD:S: uniform or greedy (default ${DEFAULT-VALUE}).") String allocation;
    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text for --sparsity teal:S (default: a built-in English text; seeded random ids for a model without a tokenizer).") Path calib;
    @Option(names = "--calib-tokens", defaultValue = "2048", description = "Calibration tokens at most (default ${DEFAULT-VALUE}).") int calibTokens;

    SparseModel sparse;

    boolean given() { return spec != null; }

    /** The model with sparsified block inputs (input-major copies when decode speed matters), or m itself without --sparsity. */
    LlamaModel apply(LlamaModel m, boolean inputMajor) throws IOException {
        if (spec == null) return m;
        Thresholds th = SparsitySpec.resolve(spec, allocation, m, calib, calibTokens, new ProgressBar("calibrate", "tokens"));
        sparse = SparseModel.of(m, th, inputMajor);
        return sparse.model();
    }

    /** Target and measured sparsity, per site and overall, for --json. */
    Map<String, Object> describe() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("spec", spec);
        j.put("method", sparse.thresholds().method());
        j.put("target_sparsity", sparse.thresholds().target());
        j.put("measured_mean_site_sparsity", sparse.meanMeasured());
        j.put("measured_weight_sparsity", sparse.weightSparsity());
        j.put("input_major_extra_bytes", sparse.extraBytes());
        j.put("sites", sparse.measured());
        return j;
    }

    void printSummary(PrintWriter err) {
        err.printf("sparsity %s (target %.2f): measured %.3f of block inputs skipped (mean over sites), %.3f of block weights%n",
                sparse.thresholds().method(), sparse.thresholds().target(), sparse.meanMeasured(), sparse.weightSparsity());
    }
}
