package dev.actlab.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.FormatException;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * SAE directories the field exchanges. SAELens: {@code cfg.json} and {@code sae_weights.safetensors}
 * with W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in], and for JumpReLU
 * threshold [d_sae] (written and read). A BatchTopK SAE is written as SAELens saves one for
 * inference: architecture "jumprelu" with every threshold equal to the global threshold estimated in
 * training; cfg.json also keeps {@code k} and {@code "actlab_architecture": "batchtopk"}, so that
 * actlab reads it back as BatchTopK (other readers see a JumpReLU SAE that encodes identically).
 * EleutherAI sparsify: {@code cfg.json} (k, num_latents or expansion_factor, d_in) and
 * {@code sae.safetensors} with encoder.weight [d_sae, d_in], encoder.bias, W_dec, b_dec (read).
 */
public final class SaeFile {
    public static final String CFG = "cfg.json", WEIGHTS = "sae_weights.safetensors", SPARSIFY_WEIGHTS = "sae.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SaeFile() {}

    /** Writes dir/cfg.json and dir/sae_weights.safetensors (float32), each atomically. */
    public static void write(Sae sae, Path dir, int contextSize) throws IOException {
        Files.createDirectories(dir);
        SaeConfig c = sae.cfg;
        int dIn = c.dIn(), dSae = c.dSae();
        float[] wEnc = new float[dIn * dSae];
        for (int i = 0; i < dSae; i++) for (int j = 0; j < dIn; j++) wEnc[j * dSae + i] = sae.wEncT[i * dIn + j];
        SafetensorsWriter w = new SafetensorsWriter()
                .addF32("W_enc", wEnc, dIn, dSae)
                .addF32("b_enc", sae.bEnc, dSae)
                .addF32("W_dec", sae.wDec, dSae, dIn)
                .addF32("b_dec", sae.bDec, dIn);
        boolean jump = c.architecture() == SaeConfig.Architecture.JUMPRELU || c.architecture() == SaeConfig.Architecture.BATCHTOPK;
        if (jump) w.addF32("threshold", sae.threshold, dSae);
        AtomicFile.write(dir.resolve(WEIGHTS), w::write);
        ObjectNode j = JSON.createObjectNode();
        j.put("architecture", c.architecture().saeLensName());
        j.put("d_in", dIn);
        j.put("d_sae", dSae);
        j.put("dtype", "float32");
        j.put("device", "cpu");
        j.put("model_name", c.modelName());
        j.put("hook_name", c.hookName());
        j.put("hook_layer", c.hookLayer());
        j.putNull("hook_head_index");
        j.put("activation_fn_str", c.architecture() == SaeConfig.Architecture.TOPK ? "topk" : "relu");
        ObjectNode kw = j.putObject("activation_fn_kwargs");
        if (c.architecture() == SaeConfig.Architecture.TOPK) kw.put("k", c.k());
        if (c.architecture().usesK()) j.put("k", c.k());
        if (c.architecture() == SaeConfig.Architecture.BATCHTOPK) j.put("actlab_architecture", "batchtopk");
        j.put("apply_b_dec_to_input", c.applyBDecToInput());
        j.put("finetuning_scaling_factor", false);
        j.put("normalize_activations", "none");
        j.put("context_size", contextSize);
        j.put("prepend_bos", true);
        j.put("sae_lens_training_version", (String) null);
        j.put("trained_by", "actlab");
        AtomicFile.writeString(dir.resolve(CFG), JSON.writeValueAsString(j));
    }

    /** Reads an SAELens directory, or a sparsify one (told apart by its weights file). */
    public static Sae read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CFG);
        if (!Files.isRegularFile(cfgFile)) throw new NoSuchFileException(cfgFile.toString(), null, "an SAE directory holds cfg.json");
        JsonNode j;
        try { j = JSON.readTree(cfgFile.toFile()); }
        catch (IOException e) { throw new FormatException(cfgFile, "json", 0, "not JSON: " + e.getMessage()); }
        if (j == null || !j.isObject()) throw new FormatException(cfgFile, "json", 0, "not a JSON object");
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) return readSaeLens(dir, cfgFile, j);
        if (Files.isRegularFile(dir.resolve(SPARSIFY_WEIGHTS))) return readSparsify(dir, cfgFile, j);
        throw new NoSuchFileException(dir.resolve(WEIGHTS).toString(), null, "neither " + WEIGHTS + " (SAELens) nor " + SPARSIFY_WEIGHTS + " (sparsify) is there");
    }

    private static Sae readSaeLens(Path dir, Path cfgFile, JsonNode j) throws IOException {
        String arch = text(cfgFile, j, "architecture", "standard");
        SaeConfig.Architecture a;
        try { a = SaeConfig.Architecture.parse(arch); }
        catch (IllegalArgumentException e) { throw new FormatException(cfgFile, "architecture", 0, "'" + arch + "' is not supported (topk, jumprelu, standard)"); }
        if (a == SaeConfig.Architecture.BATCHTOPK) throw new FormatException(cfgFile, "architecture", 0, "'batchtopk' is not an SAELens inference architecture (jumprelu with actlab_architecture batchtopk is)");
        if (a == SaeConfig.Architecture.JUMPRELU && "batchtopk".equals(text(cfgFile, j, "actlab_architecture", ""))) a = SaeConfig.Architecture.BATCHTOPK;
        int dIn = positiveInt(cfgFile, j, "d_in"), dSae = positiveInt(cfgFile, j, "d_sae");
        int k = 0;
        if (a.usesK()) {
            JsonNode kn = j.has("k") ? j.get("k") : j.path("activation_fn_kwargs").get("k");
            if (kn == null || !kn.canConvertToInt() || kn.asInt() <= 0 || kn.asInt() > dSae)
                throw new FormatException(cfgFile, "k", 0, "a topk SAE needs k in [1, d_sae " + dSae + "], found " + kn);
            k = kn.asInt();
        }
        String norm = text(cfgFile, j, "normalize_activations", "none");
        if (!norm.equals("none")) throw new FormatException(cfgFile, "normalize_activations", 0, "'" + norm + "' is not supported: fold the scaling into the weights (only none)");
        String hook = text(cfgFile, j, "hook_name", j.path("metadata").path("hook_name").asText(""));
        int layer = j.has("hook_layer") && j.get("hook_layer").canConvertToInt() ? j.get("hook_layer").asInt() : HookSite.layerOf(hook);
        boolean apply = !j.has("apply_b_dec_to_input") || j.get("apply_b_dec_to_input").asBoolean(true);
        SaeConfig cfg = new SaeConfig(a, dIn, dSae, Math.max(k, 1), hook, layer, apply, text(cfgFile, j, "model_name", ""));
        SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS));
        float[] wEnc = f.floats("W_enc", dIn, dSae);
        float[] wEncT = new float[dSae * dIn];
        for (int jn = 0; jn < dIn; jn++) for (int i = 0; i < dSae; i++) wEncT[i * dIn + jn] = wEnc[jn * dSae + i];
        float[] theta = a == SaeConfig.Architecture.RELU || a == SaeConfig.Architecture.TOPK ? new float[dSae] : f.floats("threshold", dSae);
        Sae sae = new Sae(cfg, wEncT, f.floats("b_enc", dSae), f.floats("W_dec", dSae, dIn), f.floats("b_dec", dIn), theta);
        finite(f.path(), sae);
        return sae;
    }

    private static Sae readSparsify(Path dir, Path cfgFile, JsonNode j) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(dir.resolve(SPARSIFY_WEIGHTS));
        SafetensorsFile.Tensor enc = f.tensor("encoder.weight");
        if (enc.shape().length != 2) throw new FormatException(f.path(), "tensor 'encoder.weight'.shape", enc.begin(), enc.shapeString() + " is not [d_sae, d_in]");
        int dIn = j.has("d_in") ? positiveInt(cfgFile, j, "d_in") : (int) enc.shape()[1];
        int dSae = j.has("num_latents") && j.get("num_latents").asInt() > 0 ? j.get("num_latents").asInt()
                : j.has("expansion_factor") ? dIn * positiveInt(cfgFile, j, "expansion_factor") : (int) enc.shape()[0];
        int k = positiveInt(cfgFile, j, "k");
        if (k > dSae) throw new FormatException(cfgFile, "k", 0, k + " exceeds the " + dSae + " latents");
        String hook = dir.getFileName() == null ? "" : dir.getFileName().toString();
        SaeConfig cfg = new SaeConfig(SaeConfig.Architecture.TOPK, dIn, dSae, k, hook, HookSite.layerOf(hook), true, "");
        Sae sae = new Sae(cfg, f.floats("encoder.weight", dSae, dIn), f.floats("encoder.bias", dSae), f.floats("W_dec", dSae, dIn), f.floats("b_dec", dIn));
        finite(f.path(), sae);
        return sae;
    }

    private static void finite(Path file, Sae s) throws FormatException {
        check(file, "W_enc", s.wEncT); check(file, "b_enc", s.bEnc); check(file, "W_dec", s.wDec); check(file, "b_dec", s.bDec); check(file, "threshold", s.threshold);
    }

    private static void check(Path file, String name, float[] v) throws FormatException {
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i])) throw new FormatException(file, "tensor '" + name + "'", 0, "element " + i + " is " + v[i] + " (not finite)");
    }

    private static String text(Path file, JsonNode j, String field, String dflt) throws FormatException {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isTextual()) throw new FormatException(file, field, 0, "expected a string, found " + n);
        return n.asText();
    }

    private static int positiveInt(Path file, JsonNode j, String field) throws FormatException {
        JsonNode n = j.get(field);
        if (n == null) throw new FormatException(file, field, 0, "is missing");
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) throw new FormatException(file, field, 0, "expected a positive integer, found " + n);
        return n.asInt();
    }
}
