package dev.actlab.quant;

import dev.actlab.io.Progress;

/**
 * One step of a quantization recipe: a transform of a {@link QuantModel} in place. Steps compose
 * left to right; a step that calibrates sees the model as the earlier steps left it.
 */
public interface QuantStep {
    /** The step as a recipe would write it, with every parameter: "gptq(w=int4, g=128, damp=0.01, actorder)". */
    String describe();

    /** Transforms the model; calib is null when the step does not calibrate. */
    void apply(QuantModel m, Calibration calib, Progress progress);

    /** Whether {@link #apply} needs calibration windows. */
    default boolean calibrates() { return false; }

    /** Throws unless no weights are quantized and no activation quantizer is set yet (for exact rewrites that must come first). */
    static void requireUnquantized(QuantModel m, String step) {
        for (int l = 0; l < m.layers(); l++)
            for (Linear lin : Linear.values())
                if (m.weightQuantizer(l, lin) != null || m.input(l, lin).quantizer() != null)
                    throw new IllegalArgumentException(step + " rewrites the float weights exactly and must come before any quantization step in the recipe ("
                            + lin.nameAt(l) + " is already quantized)");
    }
}
