package dev.actlab.train;

/**
 * Quantization-aware training: which formats the transformer blocks' linear layers (q, k, v, o,
 * gate, up, down) see for their weights and their input activations, in groups of `group` values
 * along the input dimension. Embeddings, the unembedding and the norms stay full precision.
 *
 * @param weightFormat     null: weights full precision
 * @param activationFormat null: activations full precision
 */
public record QatSettings(QuantFormat weightFormat, QuantFormat activationFormat, int group) {
    public QatSettings {
        if (group < 1) throw new IllegalArgumentException("QAT group size must be >= 1, got " + group);
    }

    /** w4a4, w8a8, w4a8 (weights INT4, activations INT8), w16a16, fp8 (both E4M3). */
    public static QatSettings parse(String s, int group) {
        if (s.equals("fp8")) return new QatSettings(QuantFormat.FP8_E4M3, QuantFormat.FP8_E4M3, group);
        var m = java.util.regex.Pattern.compile("w(4|8|16)a(4|8|16)").matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("--qat must be w4a4, w8a8, w4a8, w16a16 or fp8 (wNaM: N-bit weights, M-bit activations), got " + s);
        return new QatSettings(QuantFormat.parse(m.group(1)), QuantFormat.parse(m.group(2)), group);
    }

    @Override public String toString() {
        return "weights " + (weightFormat == null ? "f32" : weightFormat) + ", activations "
                + (activationFormat == null ? "f32" : activationFormat) + ", group " + group;
    }
}
