package dev.actlab.steer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.FormatException;
import dev.actlab.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trained probes, one logistic and one mass-mean probe per site, as JSON ({@code probes.json}):
 * {@code {"format": "actlab probes v1", "model", "position" (last, mean or token), "classes",
 * "sites": [{"site", "logistic": {"mean", "std", "weights", "bias"}, "mass_mean": {"means"}}]}}.
 * Reading checks every array's length against the classes and the width and names the field.
 */
public record ProbeFile(String model, String position, List<String> classes, List<SiteProbes> sites) {
    public static final String FORMAT = "actlab probes v1";

    public record SiteProbes(String site, LinearProbe logistic, MassMeanProbe massMean) {}

    /** Final probes trained on every row of the data (after cross-validation has said how well they do). */
    public static ProbeFile fit(ProbeData d, String model, String position, double l2) {
        List<SiteProbes> out = new ArrayList<>();
        int k = d.classes().size();
        for (int s = 0; s < d.sites().size(); s++)
            out.add(new SiteProbes(d.sites().get(s), LinearProbe.train(d.acts()[s], d.labels(), k, l2, LinearProbe.DEFAULT_STEPS, LinearProbe.DEFAULT_LR),
                    MassMeanProbe.train(d.acts()[s], d.labels(), k)));
        return new ProbeFile(model, position, d.classes(), out);
    }

    public List<String> siteNames() { return sites.stream().map(SiteProbes::site).toList(); }

    public void write(Path file) throws IOException {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("format", FORMAT);
        j.put("model", model);
        j.put("position", position);
        j.put("classes", classes);
        List<Map<String, Object>> ss = new ArrayList<>();
        for (SiteProbes p : sites) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("site", p.site);
            Map<String, Object> lo = new LinkedHashMap<>();
            lo.put("mean", p.logistic.mean());
            lo.put("std", p.logistic.std());
            lo.put("weights", p.logistic.weights());
            lo.put("bias", p.logistic.bias());
            s.put("logistic", lo);
            s.put("mass_mean", Map.of("means", p.massMean.means()));
            ss.add(s);
        }
        j.put("sites", ss);
        AtomicFile.writeString(file, Json.write(j));
    }

    public static ProbeFile read(Path file) throws IOException {
        JsonNode j;
        try { j = new ObjectMapper().readTree(file.toFile()); }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) { throw new FormatException(file, "json", 0, e.getOriginalMessage()); }
        if (j == null || !FORMAT.equals(j.path("format").asText())) throw new FormatException(file, "format", 0, "is not \"" + FORMAT + "\"");
        List<String> classes = new ArrayList<>();
        for (JsonNode c : j.path("classes")) classes.add(c.asText());
        if (classes.size() < 2) throw new FormatException(file, "classes", 0, "needs two or more classes");
        List<SiteProbes> sites = new ArrayList<>();
        JsonNode arr = j.path("sites");
        for (int i = 0; i < arr.size(); i++) {
            JsonNode s = arr.get(i);
            String f = "sites[" + i + "]";
            double[] mean = vector(file, s.path("logistic").path("mean"), f + ".logistic.mean", -1);
            int d = mean.length;
            double[] std = vector(file, s.path("logistic").path("std"), f + ".logistic.std", d);
            double[][] w = matrix(file, s.path("logistic").path("weights"), f + ".logistic.weights", classes.size(), d);
            double[] b = vector(file, s.path("logistic").path("bias"), f + ".logistic.bias", classes.size());
            double[][] mu = matrix(file, s.path("mass_mean").path("means"), f + ".mass_mean.means", classes.size(), d);
            sites.add(new SiteProbes(s.path("site").asText(), LinearProbe.of(mean, std, w, b), MassMeanProbe.of(mu)));
        }
        if (sites.isEmpty()) throw new FormatException(file, "sites", 0, "no probes");
        return new ProbeFile(j.path("model").asText(), j.path("position").asText("last"), classes, sites);
    }

    private static double[] vector(Path file, JsonNode n, String field, int length) throws FormatException {
        if (!n.isArray() || n.isEmpty() || (length >= 0 && n.size() != length))
            throw new FormatException(file, field, 0, "expected an array of " + (length >= 0 ? length + " numbers" : "numbers"));
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            if (!n.get(i).isNumber() || !Double.isFinite(n.get(i).asDouble())) throw new FormatException(file, field + "[" + i + "]", 0, "is not a finite number");
            v[i] = n.get(i).asDouble();
        }
        return v;
    }

    private static double[][] matrix(Path file, JsonNode n, String field, int rows, int cols) throws FormatException {
        if (!n.isArray() || n.size() != rows) throw new FormatException(file, field, 0, "expected " + rows + " rows");
        double[][] m = new double[rows][];
        for (int r = 0; r < rows; r++) m[r] = vector(file, n.get(r), field + "[" + r + "]", cols);
        return m;
    }
}
