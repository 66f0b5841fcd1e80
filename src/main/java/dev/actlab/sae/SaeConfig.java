package dev.actlab.sae;

import java.util.Locale;

/**
 * What an SAE is, as SAELens' {@code cfg.json} says it: architecture, sizes, the hook site it
 * reads, k for TopK and BatchTopK, and whether b_dec is subtracted from the input before encoding.
 *
 * @param modelName the model the SAE was trained on (a path or name), for reports; may be empty
 */
public record SaeConfig(Architecture architecture, int dIn, int dSae, int k, String hookName, int hookLayer,
                        boolean applyBDecToInput, String modelName) {
    public enum Architecture {
        RELU, TOPK, BATCHTOPK, JUMPRELU;

        /**
         * The name SAELens writes in cfg.json ("standard" is its ReLU SAE; a BatchTopK SAE is saved for
         * inference as a JumpReLU one whose thresholds all equal the global threshold, as SAELens does).
         */
        public String saeLensName() {
            return switch (this) { case RELU -> "standard"; case TOPK -> "topk"; case BATCHTOPK, JUMPRELU -> "jumprelu"; };
        }

        /** The name --arch takes. */
        public String cliName() { return name().toLowerCase(Locale.ROOT); }

        /** Whether k (active latents per row, or per row on average over a batch) applies. */
        public boolean usesK() { return this == TOPK || this == BATCHTOPK; }

        public static Architecture parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "topk" -> TOPK;
                case "relu", "standard" -> RELU;
                case "batchtopk" -> BATCHTOPK;
                case "jumprelu" -> JUMPRELU;
                default -> throw new IllegalArgumentException("architecture '" + s + "': expected topk, batchtopk, jumprelu or relu (standard)");
            };
        }
    }

    public SaeConfig {
        if (dIn <= 0 || dSae <= 0) throw new IllegalArgumentException("d_in " + dIn + " and d_sae " + dSae + " must be positive");
        if ((long) dIn * dSae > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("d_in x d_sae = " + (long) dIn * dSae + " is too large for one array");
        if (architecture.usesK() && (k <= 0 || k > dSae)) throw new IllegalArgumentException("k " + k + " must be in [1, d_sae " + dSae + "]");
        if (hookName == null) hookName = "";
        if (modelName == null) modelName = "";
    }
}
