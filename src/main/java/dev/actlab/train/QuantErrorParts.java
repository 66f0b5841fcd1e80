package dev.actlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One point of a QAT run's quantization-error curve: the held-out loss of the current master
 * weights run four ways, full precision (fp), weights only quantized, activations only
 * quantized, both (the run's setting), and, one at a time, each matmul input alone.
 * Parts, as in Chen et al. 2025 ("Scaling Law for Quantization-Aware Training", arXiv
 * 2505.14302), are losses minus the full-precision loss: weight part L(W) - L(fp), activation
 * part L(A) - L(fp), total L(W+A) - L(fp); what the two parts do not add up to is their
 * interaction. The four (or eight) losses are measured on the same held-out windows.
 *
 * @param windows          held-out sequences each loss averages over
 * @param activationsAlone per matmul input: the loss with only that input quantized (empty if not measured)
 */
public record QuantErrorParts(long step, long tokens, int windows, double fp, double weightsOnly, double activationsOnly,
                              double both, Map<MatmulInput, Double> activationsAlone) {
    public QuantErrorParts {
        activationsAlone = activationsAlone.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new EnumMap<>(activationsAlone));
    }

    public double weightPart() { return weightsOnly - fp; }
    public double activationPart() { return activationsOnly - fp; }
    public double total() { return both - fp; }
    /** total - weight part - activation part: > 0 when the two errors compound, < 0 when they overlap. */
    public double interaction() { return total() - weightPart() - activationPart(); }
    /** The activation part of one matmul input: L(only it quantized) - L(fp); NaN if not measured. */
    public double activationPart(MatmulInput input) {
        Double l = activationsAlone.get(input);
        return l == null ? Double.NaN : l - fp;
    }

    /** The point as JSON fields: the measured losses, then the parts derived from them. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("tokens", tokens);
        m.put("windows", windows);
        m.put("loss_fp", fp);
        m.put("loss_weights_only", weightsOnly);
        m.put("loss_activations_only", activationsOnly);
        m.put("loss_both", both);
        m.put("weight_part", weightPart());
        m.put("activation_part", activationPart());
        m.put("total", total());
        m.put("interaction", interaction());
        if (!activationsAlone.isEmpty()) {
            Map<String, Object> loss = new LinkedHashMap<>(), part = new LinkedHashMap<>();
            activationsAlone.forEach((in, l) -> { loss.put(in.key, l); part.put(in.key, l - fp); });
            m.put("loss_activations_only_at", loss);
            m.put("activation_part_at", part);
        }
        return m;
    }

    /** Reads {@link #toJson()}'s fields back (the losses; the parts are derived again). */
    public static QuantErrorParts fromJson(JsonNode n) {
        Map<MatmulInput, Double> alone = new EnumMap<>(MatmulInput.class);
        JsonNode at = n.path("loss_activations_only_at");
        for (MatmulInput in : MatmulInput.values())
            if (at.has(in.key)) alone.put(in, number(at, in.key));
        return new QuantErrorParts(n.path("step").asLong(), n.path("tokens").asLong(), n.path("windows").asInt(),
                number(n, "loss_fp"), number(n, "loss_weights_only"), number(n, "loss_activations_only"), number(n, "loss_both"), alone);
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("QAT curve point: field " + field + " is missing or not a number");
        return v.asDouble();
    }

    /**
     * Measures the trainer's current weights on `batches` held-out batches under `run` split into
     * its parts; with `byInput` also each matmul input's activation part. The model's own QAT
     * setting is left as it was.
     */
    public static QuantErrorParts measure(Trainer t, QatSettings run, int batches, boolean byInput) {
        float fp = t.heldOutLoss(batches, null);
        float w = t.heldOutLoss(batches, run.weightsOnly());
        float a = t.heldOutLoss(batches, run.activationsOnly());
        float both = t.heldOutLoss(batches, run);
        Map<MatmulInput, Double> alone = new EnumMap<>(MatmulInput.class);
        if (byInput && run.activationFormat() != null)
            for (MatmulInput in : MatmulInput.values()) if (run.quantizes(in)) alone.put(in, (double) t.heldOutLoss(batches, run.activationsOnlyAt(in)));
        return new QuantErrorParts(t.stepsDone(), t.stepsDone() * t.settings().tokensPerStep(), batches * t.settings().batch(),
                fp, w, a, both, alone);
    }
}
