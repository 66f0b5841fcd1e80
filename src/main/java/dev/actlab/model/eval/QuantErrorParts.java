package dev.actlab.model.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A quantization error split into a weight part and an activation part (Chen et al. 2025, "Scaling Law
 * for Quantization-Aware Training", arXiv 2505.14302), from held-out losses (mean NLL, nats/token) of the
 * same weights run four ways: full precision L_fp, weights only quantized L_W, activations only L_A, both
 * L_WA. Weight part L_W - L_fp, activation part L_A - L_fp, total L_WA - L_fp, and what the two parts do
 * not add up to, their interaction. Optionally also per part of the model, the loss with only that part's
 * weights (weightsAlone) or only its activations (activationsAlone) quantized: per layer for post-training
 * quantization ({@code quantize --parts}, keys "0", "1", ...), per matmul input for QAT (keys such as
 * "attn_qkv"). One record for both, so the two report the same fields.
 *
 * @param step    training steps done when measured (0 for post-training quantization)
 * @param tokens  training tokens seen when measured (0 for post-training quantization)
 * @param windows held-out sequences each loss averages over
 */
public record QuantErrorParts(long step, long tokens, int windows, double fp, double weightsOnly, double activationsOnly, double both,
                              Map<String, Double> weightsAlone, Map<String, Double> activationsAlone) {
    public QuantErrorParts {
        weightsAlone = Collections.unmodifiableMap(new LinkedHashMap<>(weightsAlone));
        activationsAlone = Collections.unmodifiableMap(new LinkedHashMap<>(activationsAlone));
    }

    public double weightPart() { return weightsOnly - fp; }
    public double activationPart() { return activationsOnly - fp; }
    public double total() { return both - fp; }
    /** total - weight part - activation part: > 0 when the two errors compound, < 0 when they overlap. */
    public double interaction() { return total() - weightPart() - activationPart(); }
    /** The weight part of one part of the model: L(only its weights quantized) - L(fp); NaN if not measured. */
    public double weightPart(String key) { Double l = weightsAlone.get(key); return l == null ? Double.NaN : l - fp; }
    /** The activation part of one part of the model: L(only its activations quantized) - L(fp); NaN if not measured. */
    public double activationPart(String key) { Double l = activationsAlone.get(key); return l == null ? Double.NaN : l - fp; }

    /** The measured losses, then the parts derived from them. */
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
        putAlone(m, "loss_weights_only_at", "weight_part_at", weightsAlone);
        putAlone(m, "loss_activations_only_at", "activation_part_at", activationsAlone);
        return m;
    }

    private void putAlone(Map<String, Object> m, String lossKey, String partKey, Map<String, Double> alone) {
        if (alone.isEmpty()) return;
        Map<String, Object> loss = new LinkedHashMap<>(), part = new LinkedHashMap<>();
        alone.forEach((k, l) -> { loss.put(k, l); part.put(k, l - fp); });
        m.put(lossKey, loss);
        m.put(partKey, part);
    }

    /** Reads {@link #toJson()}'s fields back (the losses; the parts are derived again). */
    public static QuantErrorParts fromJson(JsonNode n) {
        return new QuantErrorParts(n.path("step").asLong(), n.path("tokens").asLong(), n.path("windows").asInt(),
                number(n, "loss_fp"), number(n, "loss_weights_only"), number(n, "loss_activations_only"), number(n, "loss_both"),
                alone(n.path("loss_weights_only_at")), alone(n.path("loss_activations_only_at")));
    }

    private static Map<String, Double> alone(JsonNode at) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Iterator<String> it = at.fieldNames(); it.hasNext(); ) { String k = it.next(); m.put(k, number(at, k)); }
        return m;
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("quantization error parts: field " + field + " is missing or not a number");
        return v.asDouble();
    }

    /** The split, then one line per part of the model measured alone (what: "layer", "input"). */
    public String table(String what) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "error split (nats/token, loss minus FP32 loss %.5f): weight part %.5f, activation part %.5f, total %.5f, interaction %+.5f%n",
                fp, weightPart(), activationPart(), total(), interaction()));
        Map<String, Boolean> keys = new LinkedHashMap<>();
        weightsAlone.keySet().forEach(k -> keys.put(k, true));
        activationsAlone.keySet().forEach(k -> keys.put(k, true));
        if (keys.isEmpty()) return b.toString();
        b.append(String.format(Locale.ROOT, "%-12s %14s %18s%n", what, "weight part", "activation part"));
        for (String k : keys.keySet()) b.append(String.format(Locale.ROOT, "%-12s %14.5f %18.5f%n", k, weightPart(k), activationPart(k)));
        return b.toString();
    }
}
