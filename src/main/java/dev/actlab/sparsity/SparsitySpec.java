package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;

/** What {@code --sparsity} names: a thresholds file, or {@code teal:S} to calibrate for sparsity S now. */
public final class SparsitySpec {
    private SparsitySpec() {}

    public static Thresholds resolve(String spec, LlamaModel m, Path calib, int calibTokens, Progress progress) throws IOException {
        if (spec.contains(":") && !spec.contains("/") && !spec.endsWith(".json")) {
            String method = spec.substring(0, spec.indexOf(':')), level = spec.substring(spec.indexOf(':') + 1);
            double s;
            try { s = Double.parseDouble(level); }
            catch (NumberFormatException e) { throw new IllegalArgumentException("--sparsity " + spec + ": \"" + level + "\" is not a number"); }
            return calibrate(method, m, CalibrationText.of(m, calib, calibTokens), s, progress);
        }
        Thresholds t = Thresholds.read(Path.of(spec));
        t.requireLayers(m.config().layers(), m.source());
        return t;
    }

    public static Thresholds calibrate(String method, LlamaModel m, CalibrationText text, double sparsity, Progress progress) {
        return switch (method) {
            case "teal" -> TealCalibration.calibrate(m, text.tokens(), sparsity, text.source(), progress);
            case "wina" -> TealCalibration.calibrate(m, text.tokens(), sparsity, "wina", WinaScales.of(m.weights()), text.source(), progress);
            default -> throw new IllegalArgumentException("sparsity method \"" + method + "\" is not implemented (teal and wina are; cats, chess, rsparse are not yet)");
        };
    }
}
