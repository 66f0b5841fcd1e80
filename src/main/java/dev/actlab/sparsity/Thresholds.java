package dev.actlab.sparsity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.FormatException;
import dev.actlab.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Thresholds per site: an input x[i] of the site's matmul whose criterion falls below the threshold is
 * treated as zero and its weight column is not read. The criterion is the method's: teal |x[i]|, wina
 * |x[i]| * ||W[:, i]||, chess |x[i]| against a threshold of its own channel, cats |SiLU(gate[i])| (ffn_down
 * sites only: the rows of up and the columns of down it skips). The file {@code sparsify --out} writes
 * and {@code run|ppl|bench --sparsity} reads. Version 2 adds the allocation, per-site targets and
 * channel thresholds; version 1 files (teal, wina, uniform) are still read. rsparse (R-Sparse) files give each
 * site's activation sparsity as its target and the weight budget as the file's target; the rank of each
 * matrix's low-rank part follows from the two ({@link RankAware#rank}).
 *
 * @param method             teal, wina, cats, chess or rsparse
 * @param allocation         uniform (every site at the target) or greedy (per-site targets averaging it)
 * @param target             the sparsity the thresholds were calibrated for (the weight-weighted mean under greedy)
 * @param layers             the model's layer count (the file covers layers x 4 sites)
 * @param calibrationTokens  tokens of calibration text
 * @param calibrationSource  what the text was (a file, "built-in", "random tokens")
 */
public record Thresholds(String method, String allocation, double target, int layers, int calibrationTokens, String calibrationSource,
                         List<Site> sites) {
    public static final String FORMAT = "actlab-sparsity-thresholds";
    public static final int VERSION = 2;
    public static final java.util.List<String> METHODS = java.util.List.of("teal", "wina", "cats", "chess", "rsparse");

    /**
     * @param threshold          the site's threshold (chess: the largest of its channels')
     * @param calibratedSparsity fraction of calibration inputs below the threshold
     * @param target             the site's target sparsity (NaN when not recorded)
     * @param channels           chess: one threshold per input channel; null otherwise
     */
    public record Site(int layer, SiteKind kind, float threshold, double calibratedSparsity, double target, float[] channels) {
        public Site(int layer, SiteKind kind, float threshold, double calibratedSparsity) { this(layer, kind, threshold, calibratedSparsity, Double.NaN, null); }
        public String name() { return kind.siteName(layer); }
    }

    /** Version-1 shape: uniform allocation. */
    public Thresholds(String method, double target, int layers, int calibrationTokens, String calibrationSource, List<Site> sites) {
        this(method, "uniform", target, layers, calibrationTokens, calibrationSource, sites);
    }

    public Thresholds {
        sites = List.copyOf(sites);
    }

    /** The threshold of a site, 0 (nothing skipped) when the file has none for it. */
    public float threshold(int layer, SiteKind kind) {
        Site s = site(layer, kind);
        return s == null ? 0f : s.threshold;
    }

    /** The site of the file, or null (the site stays dense). */
    public Site site(int layer, SiteKind kind) {
        for (Site s : sites) if (s.layer == layer && s.kind == kind) return s;
        return null;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("format", FORMAT);
        j.put("version", VERSION);
        j.put("method", method);
        j.put("allocation", allocation);
        j.put("target_sparsity", target);
        j.put("layers", layers);
        j.put("calibration_tokens", calibrationTokens);
        j.put("calibration_source", calibrationSource);
        List<Map<String, Object>> s = new ArrayList<>();
        for (Site site : sites) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", site.name());
            m.put("layer", site.layer);
            m.put("input_of", site.kind.id);
            m.put("threshold", site.threshold);
            m.put("calibrated_sparsity", site.calibratedSparsity);
            if (!Double.isNaN(site.target)) m.put("target_sparsity", site.target);
            if (site.channels != null) m.put("channel_thresholds", site.channels);
            s.add(m);
        }
        j.put("sites", s);
        return j;
    }

    public void write(Path file) throws IOException { AtomicFile.writeString(file, Json.write(toJson()) + "\n"); }

    /** Reads a thresholds file; anything missing or out of range is a FormatException naming the file and the field. */
    public static Thresholds read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "thresholds file not found");
        } catch (IOException e) {
            throw new FormatException(file, "(json)", -1, "not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new FormatException(file, "(root)", -1, "expected a JSON object");
        String format = text(file, root, "format");
        if (!FORMAT.equals(format)) throw new FormatException(file, "format", -1, "is \"" + format + "\", expected \"" + FORMAT + "\"");
        int version = integer(file, root, "version");
        if (version != 1 && version != VERSION) throw new FormatException(file, "version", -1, "is " + version + ", this actlab reads versions 1 and " + VERSION);
        String method = text(file, root, "method");
        if (!METHODS.contains(method)) throw new FormatException(file, "method", -1, "is \"" + method + "\", expected one of " + String.join(", ", METHODS));
        String allocation = root.has("allocation") ? text(file, root, "allocation") : "uniform";
        if (!allocation.equals("uniform") && !allocation.equals("greedy")) throw new FormatException(file, "allocation", -1, "is \"" + allocation + "\", expected uniform or greedy");
        double target = number(file, root, "target_sparsity");
        if (!(target >= 0 && target < 1)) throw new FormatException(file, "target_sparsity", -1, "is " + target + ", must be in [0, 1)");
        int layers = integer(file, root, "layers");
        if (layers <= 0) throw new FormatException(file, "layers", -1, "is " + layers + ", must be positive");
        int tokens = root.has("calibration_tokens") ? integer(file, root, "calibration_tokens") : 0;
        String source = root.has("calibration_source") ? text(file, root, "calibration_source") : "";
        JsonNode arr = root.get("sites");
        if (arr == null || !arr.isArray()) throw new FormatException(file, "sites", -1, "missing or not an array");
        List<Site> sites = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode s = arr.get(i);
            String at = "sites[" + i + "]";
            if (!s.isObject()) throw new FormatException(file, at, -1, "expected an object");
            int layer = integer(file, s, at, "layer");
            if (layer < 0 || layer >= layers) throw new FormatException(file, at + ".layer", -1, "is " + layer + ", outside [0, " + layers + ")");
            String kindId = text(file, s, at, "input_of");
            SiteKind kind = SiteKind.byId(kindId);
            if (kind == null) throw new FormatException(file, at + ".input_of", -1, "is \"" + kindId + "\", expected one of attn_qkv, attn_output, ffn_gate_up, ffn_down");
            double t = number(file, s, at, "threshold");
            if (!(t >= 0) || !Double.isFinite(t)) throw new FormatException(file, at + ".threshold", -1, "is " + t + ", must be a finite number >= 0");
            double cal = s.has("calibrated_sparsity") ? number(file, s, at, "calibrated_sparsity") : Double.NaN;
            double siteTarget = s.has("target_sparsity") ? number(file, s, at, "target_sparsity") : Double.NaN;
            if (method.equals("rsparse") && !(siteTarget >= 0 && siteTarget < 1))
                throw new FormatException(file, at + ".target_sparsity", -1, "is " + (Double.isNaN(siteTarget) ? "missing" : siteTarget) + ": rsparse needs each site's activation sparsity in [0, 1)");
            if (method.equals("cats") && kind != SiteKind.FFN_DOWN)
                throw new FormatException(file, at + ".input_of", -1, "is \"" + kindId + "\": cats thresholds SiLU(gate), the input of ffn_down only");
            float[] channels = null;
            JsonNode ch = s.get("channel_thresholds");
            if (method.equals("chess")) {
                if (ch == null || !ch.isArray() || ch.isEmpty()) throw new FormatException(file, at + ".channel_thresholds", -1, "missing: chess needs one threshold per input channel");
                channels = new float[ch.size()];
                for (int c = 0; c < channels.length; c++) {
                    JsonNode v = ch.get(c);
                    if (v == null || !v.isNumber() || !(v.asDouble() >= 0) || !Double.isFinite(v.asDouble()))
                        throw new FormatException(file, at + ".channel_thresholds[" + c + "]", -1, "is " + v + ", must be a finite number >= 0");
                    channels[c] = (float) v.asDouble();
                }
            }
            for (Site prev : sites)
                if (prev.layer == layer && prev.kind == kind) throw new FormatException(file, at, -1, "site " + kind.siteName(layer) + " is given twice");
            sites.add(new Site(layer, kind, (float) t, cal, siteTarget, channels));
        }
        return new Thresholds(method, allocation, target, layers, tokens, source, sites);
    }

    /** Checks that the file fits a model of this many layers. */
    public void requireLayers(int modelLayers, String model) {
        if (layers != modelLayers)
            throw new IllegalArgumentException("the thresholds are for a model of " + layers + " layers, " + model + " has " + modelLayers);
    }

    private static String text(Path f, JsonNode n, String field) throws FormatException { return text(f, n, null, field); }
    private static int integer(Path f, JsonNode n, String field) throws FormatException { return integer(f, n, null, field); }
    private static double number(Path f, JsonNode n, String field) throws FormatException { return number(f, n, null, field); }

    private static String text(Path f, JsonNode n, String at, String field) throws FormatException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new FormatException(f, path(at, field), -1, v == null ? "missing" : "not a string");
        return v.asText();
    }

    private static int integer(Path f, JsonNode n, String at, String field) throws FormatException {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) throw new FormatException(f, path(at, field), -1, v == null ? "missing" : "not an integer: " + v);
        return v.asInt();
    }

    private static double number(Path f, JsonNode n, String at, String field) throws FormatException {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new FormatException(f, path(at, field), -1, v == null ? "missing" : "not a number: " + v);
        return v.asDouble();
    }

    private static String path(String at, String field) { return at == null ? field : at + "." + field; }
}
