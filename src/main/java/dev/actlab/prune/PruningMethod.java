package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.QuantModel;
import java.util.Locale;
import java.util.Map;

/** The pruning methods of {@code actlab prune}: each zeroes weights of a model's block projections in place. */
public enum PruningMethod {
    MAGNITUDE, WANDA, SPARSEGPT, STRUCTURED;

    /** True when the method reads activations (needs calibration text). */
    public boolean calibrates() { return this != MAGNITUDE; }

    /** True when the method can lay out N:M groups (structured pruning removes whole units instead). */
    public boolean allowsNm() { return this != STRUCTURED; }

    public String label() { return name().toLowerCase(Locale.ROOT); }

    public static PruningMethod parse(String s) {
        for (PruningMethod m : values()) if (m.label().equals(s.trim().toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown pruning method '" + s + "': use magnitude, wanda, sparsegpt or structured");
    }

    /** Prunes m in place; returns what the method chose beyond the zeros (structured: its plan), or an empty map. */
    public Map<String, Object> apply(QuantModel m, PruningPattern p, Calibration calib, Progress progress) {
        if (calibrates() && calib == null) throw new IllegalArgumentException(label() + " needs calibration text: give --calib FILE|brown or --calib-tokens FILE");
        if (p.isNm() && !allowsNm()) throw new IllegalArgumentException("structured pruning removes whole channels and heads: --nm does not apply");
        p.check(m.config());
        Map<String, Object> details = Map.of();
        switch (this) {
            case MAGNITUDE -> MagnitudePruning.apply(m, p);
            case WANDA -> WandaPruning.apply(m, p, calib, progress);
            case SPARSEGPT -> SparseGptPruning.apply(m, p, calib, SparseGptPruning.BLOCK, SparseGptPruning.DAMP, progress);
            case STRUCTURED -> details = StructuredPruning.apply(m, p.sparsity(), calib, progress).toJson();
        }
        m.log(label() + " " + (this == STRUCTURED ? String.format(Locale.ROOT, "%.0f%% of MLP channels and heads", 100 * p.sparsity()) : p.label()));
        return details;
    }
}
