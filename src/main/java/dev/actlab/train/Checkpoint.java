package dev.actlab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.io.FormatException;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A training checkpoint directory: model.safetensors (the weights, by GGUF-style name),
 * optimizer.safetensors (AdamW moments "NAME.m", "NAME.v") and state.json (config, settings,
 * step). The batch RNG is a function of (seed, step), so the step is all its state.
 * Saving is atomic: everything goes to DIR.tmp, the old DIR steps aside to DIR.old, DIR.tmp
 * becomes DIR, DIR.old is deleted. An interrupted save leaves DIR or DIR.old intact.
 */
public final class Checkpoint {
    /** What a checkpoint restores. */
    public record Loaded(LlamaConfig config, TrainSettings settings, long step, TrainModel model, AdamW optimizer) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoint() {}

    public static void save(Path dir, Trainer t) throws IOException {
        dir = dir.toAbsolutePath();
        Path tmp = sibling(dir, ".tmp"), old = sibling(dir, ".old");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        TrainModel m = t.model();
        List<Param> params = m.params();
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "actlab-train").metadata("architecture", "llama");
        SafetensorsWriter moments = new SafetensorsWriter().metadata("adamw_step", Long.toString(t.optimizer().step()));
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            long[] shape = java.util.Arrays.stream(p.shape()).asLongStream().toArray();
            weights.addF32(p.name(), p.value(), shape);
            moments.addF32(p.name() + ".m", t.optimizer().firstMoment(i), shape);
            moments.addF32(p.name() + ".v", t.optimizer().secondMoment(i), shape);
        }
        weights.write(tmp.resolve("model.safetensors"));
        moments.write(tmp.resolve("optimizer.safetensors"));
        ObjectNode state = JSON.createObjectNode();
        state.put("step", t.stepsDone());
        state.put("adamw_step", t.optimizer().step());
        state.set("config", JSON.valueToTree(m.config()));
        state.set("settings", JSON.valueToTree(t.settings()));
        Files.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state));
        if (Files.exists(dir)) {
            deleteTree(old);
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /** Whether DIR (or DIR.old, left by a save interrupted between its two moves) holds a checkpoint. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve("state.json")) || Files.isRegularFile(sibling(dir.toAbsolutePath(), ".old").resolve("state.json"));
    }

    public static Loaded load(Path dir) throws IOException {
        dir = dir.toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("state.json")) && Files.isRegularFile(sibling(dir, ".old").resolve("state.json")))
            dir = sibling(dir, ".old");
        Path statePath = dir.resolve("state.json");
        com.fasterxml.jackson.databind.JsonNode state;
        try {
            state = JSON.readTree(Files.readString(statePath));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            long at = e.getLocation() != null ? Math.max(0, e.getLocation().getCharOffset()) : 0;
            throw new FormatException(statePath, "state", at, "is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        LlamaConfig config;
        TrainSettings settings;
        try {
            config = JSON.treeToValue(state.get("config"), LlamaConfig.class);
            settings = JSON.treeToValue(state.get("settings"), TrainSettings.class);
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new FormatException(statePath, "config/settings", 0, "cannot be read: " + e.getMessage());
        }
        long step = state.path("step").asLong(-1), adamStep = state.path("adamw_step").asLong(-1);
        if (step < 0 || adamStep < 0) throw new FormatException(statePath, "step", 0, "missing or negative");

        Path wPath = dir.resolve("model.safetensors"), oPath = dir.resolve("optimizer.safetensors");
        // the weights file must be large enough for the config before the config's arrays are allocated
        long needed = 4 * config.parameterCount();
        if (!Files.isRegularFile(wPath) || Files.size(wPath) < needed)
            throw new FormatException(wPath, "size", 0, "the config in " + statePath.getFileName() + " needs " + needed
                    + " bytes of weights, the file has " + (Files.isRegularFile(wPath) ? Files.size(wPath) : 0));
        TrainModel model = new TrainModel(config);
        AdamW opt = AdamW.standard(model.params(), settings.weightDecay());
        opt.setStep(adamStep);
        SafetensorsFile weights = SafetensorsFile.open(wPath), moments = SafetensorsFile.open(oPath);
        List<Param> params = model.params();
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            fill(weights, p.name(), p.value());
            fill(moments, p.name() + ".m", opt.firstMoment(i));
            fill(moments, p.name() + ".v", opt.secondMoment(i));
        }
        return new Loaded(config, settings, step, model, opt);
    }

    private static void fill(SafetensorsFile file, String name, float[] dst) throws FormatException {
        SafetensorsFile.Tensor t = file.tensor(name);
        if (t.dtype() != DType.F32) throw new FormatException(file.path(), name + ".dtype", t.begin(), "is " + t.dtype() + ", checkpoints are F32");
        if (t.elements() != dst.length)
            throw new FormatException(file.path(), name, t.begin(), "has " + t.elements() + " values, the config needs " + dst.length);
        System.arraycopy(file.toFloats(t), 0, dst, 0, dst.length);
    }

    private static Path sibling(Path dir, String suffix) { return dir.resolveSibling(dir.getFileName() + suffix); }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
