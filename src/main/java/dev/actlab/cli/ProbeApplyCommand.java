package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.steer.LinearProbe;
import dev.actlab.steer.ProbeData;
import dev.actlab.steer.ProbeFile;
import dev.actlab.steer.VectorExtraction;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "apply", mixinStandardHelpOptions = true, description = {"Scores new text with the logistic probes of probe train's DIR/probes.json, at one site.",
        "Probes trained on texts (position last or mean) give one prediction per text; probes trained on captured tokens give one per token.",
        "With --data (label<TAB>text) the held-in labels are compared: accuracy."})
final class ProbeApplyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--probes", required = true, description = "probes.json written by probe train.") Path probes;
    @Mixin ModelOption model;

    static final class Input {
        @Option(names = "--text", description = "A text to score (repeatable).") List<String> texts;
        @Option(names = "--data", description = "TSV of label<TAB>text: scores each text and reports the accuracy.") Path data;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--site", description = "The probe's site (default: the last site in the file).") String site;
    @Option(names = "--threads") Integer threads;
    @Option(names = "--json") boolean json;

    @Override public Integer call() throws Exception {
        if (threads != null) Parallel.setDefaultThreads(threads);
        ProbeFile f = ProbeFile.read(probes);
        String s = site != null ? site : f.siteNames().get(f.siteNames().size() - 1);
        int at = f.siteNames().indexOf(s);
        if (at < 0) throw new IllegalArgumentException(probes + " has no probe at " + s + " (it has " + f.siteNames() + ")");
        LinearProbe probe = f.sites().get(at).logistic();
        HookedModel m = model.load();
        if (m.tokenizer() == null) throw new IllegalArgumentException(m.source() + " has no tokenizer: texts cannot be encoded");
        List<String> texts = new ArrayList<>(), labels = null;
        if (input.data != null) {
            ProbeData.Texts t = ProbeData.readTexts(input.data);
            texts.addAll(t.texts());
            labels = t.labels();
        } else texts.addAll(input.texts);
        PrintWriter w = spec.commandLine().getOut();
        List<Map<String, Object>> rows = new ArrayList<>();
        int correct = 0;
        for (int i = 0; i < texts.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("text", texts.get(i));
            if (f.position().equals("token")) {
                int[] ids = m.tokenizer().encode(texts.get(i), true);
                float[][] acts = ProbeData.tokenActivations(m, ids, List.of(s), contextOf(m))[0];
                List<Map<String, Object>> toks = new ArrayList<>();
                StringBuilder line = new StringBuilder();
                for (int t = 0; t < ids.length; t++) {
                    double[] p = probe.probabilities(acts[t]);
                    int k = argmax(p);
                    String piece = m.tokenizer().decode(new int[]{ids[t]});
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("token", piece);
                    e.put("class", f.classes().get(k));
                    e.put("probability", p[k]);
                    toks.add(e);
                    if (!piece.isEmpty()) line.append(piece).append('[').append(f.classes().get(k)).append(']');
                }
                row.put("tokens", toks);
                if (!json) w.println(line);
            } else {
                VectorExtraction.Position pos = SteerExtractCommand.parse(VectorExtraction.Position.class, f.position(), "position in " + probes);
                float[] x = VectorExtraction.activations(m, List.of(texts.get(i)), List.of(s), pos, null, 0, 1)[0][0];
                double[] p = probe.probabilities(x);
                int k = argmax(p);
                row.put("class", f.classes().get(k));
                row.put("probability", p[k]);
                if (labels != null) {
                    row.put("label", labels.get(i));
                    if (labels.get(i).equals(f.classes().get(k))) correct++;
                }
                if (!json) w.printf(Locale.ROOT, "%-12s %.3f%s  %s%n", f.classes().get(k), p[k], labels == null ? "" : "  (" + labels.get(i) + ")", texts.get(i));
            }
            rows.add(row);
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("probes", probes.toString());
        j.put("site", s);
        j.put("position", f.position());
        j.put("classes", f.classes());
        j.put("rows", rows);
        if (labels != null && !f.position().equals("token")) j.put("accuracy", (double) correct / texts.size());
        if (json) w.println(Json.write(j));
        else if (j.containsKey("accuracy")) w.printf(Locale.ROOT, "accuracy at %s: %.1f%% of %d%n", s, 100.0 * correct / texts.size(), texts.size());
        return 0;
    }

    private static int contextOf(HookedModel m) { return m instanceof dev.actlab.model.llama.LlamaModel l ? l.config().contextLength() : 512; }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
