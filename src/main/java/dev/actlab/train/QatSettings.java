package dev.actlab.train;

import dev.actlab.tensor.QuantFormat;

import java.util.EnumSet;
import java.util.Set;

/**
 * Quantization-aware training: which formats the transformer blocks' linear layers (q, k, v, o,
 * gate, up, down) see for their weights and their input activations, in groups of `group` values
 * along the input dimension. Embeddings, the unembedding and the norms stay full precision.
 *
 * @param weightFormat     null: weights full precision
 * @param activationFormat null: activations full precision
 * @param inputs           which matmul inputs get activationFormat (all four unless measuring one)
 */
public record QatSettings(QuantFormat weightFormat, QuantFormat activationFormat, int group, Set<MatmulInput> inputs) {
    public QatSettings {
        if (group < 1) throw new IllegalArgumentException("QAT group size must be >= 1, got " + group);
        inputs = Set.copyOf(inputs);
    }

    /** Weights and every matmul input quantized as given. */
    public QatSettings(QuantFormat weightFormat, QuantFormat activationFormat, int group) {
        this(weightFormat, activationFormat, group, EnumSet.allOf(MatmulInput.class));
    }

    /** w4a4, w8a8, w4a8 (weights INT4, activations INT8), w16a16, fp8 (both E4M3). */
    public static QatSettings parse(String s, int group) {
        if (s.equals("fp8")) return new QatSettings(QuantFormat.FP8_E4M3, QuantFormat.FP8_E4M3, group);
        var m = java.util.regex.Pattern.compile("w(4|8|16)a(4|8|16)").matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("--qat must be w4a4, w8a8, w4a8, w16a16 or fp8 (wNaM: N-bit weights, M-bit activations), got " + s);
        return new QatSettings(QuantFormat.parse(m.group(1)), QuantFormat.parse(m.group(2)), group);
    }

    /** Does the forward pass fake-quantize this matmul input? */
    public boolean quantizes(MatmulInput input) {
        return activationFormat != null && inputs.contains(input);
    }

    /** The same weight quantization, activations full precision. */
    public QatSettings weightsOnly() { return new QatSettings(weightFormat, null, group, inputs); }

    /** The same activation quantization, weights full precision. */
    public QatSettings activationsOnly() { return new QatSettings(null, activationFormat, group, inputs); }

    /** Only this one matmul input quantized (in this activation format), weights full precision. */
    public QatSettings activationsOnlyAt(MatmulInput input) { return new QatSettings(null, activationFormat, group, EnumSet.of(input)); }

    @Override public String toString() {
        String acts = activationFormat == null ? "f32" : activationFormat.toString();
        if (activationFormat != null && inputs.size() < MatmulInput.values().length)
            acts += " at " + inputs.stream().sorted().map(i -> i.key).toList();
        return "weights " + (weightFormat == null ? "f32" : weightFormat) + ", activations " + acts + ", group " + group;
    }
}
