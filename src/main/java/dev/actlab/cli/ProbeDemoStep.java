package dev.actlab.cli;

import dev.actlab.model.load.ModelRef;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ProbeReport;
import dev.actlab.steer.ProbeData;
import dev.actlab.steer.ProbeEvaluation;
import dev.actlab.steer.TokenLabels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where actlab's own decoder knows that a token is inside a quotation: a linear probe per layer on
 * every token of a short story with dialogue (labels from the quote marks themselves).
 */
final class ProbeDemoStep implements DemoStep {
    static final String TEXT = "/dev/actlab/steer/dialogue.txt";

    @Override public String name() { return "probe"; }
    @Override public String title() { return "linear probes on actlab's own decoder: is this token inside a quotation? (probe-decoder/probe.html)"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder((String) null);
        String text = String.join("\n", SteeringDemoStep.resourceLines(TEXT));
        int[] ids = m.tokenizer().encode(text, true);
        List<String> labels = TokenLabels.insideQuotation(m.tokenizer(), ids);
        ProbeData d = ProbeData.fromTokens(m, ids, labels,
                s -> s.equals("blocks.0.hook_resid_pre") || s.endsWith(".hook_resid_post"), m.config().contextLength(), "dialogue.txt");
        ProbeEvaluation.Result r = ProbeEvaluation.run(d.sites(), d.layers(), d.acts(), d.labels(), null, d.classes(), 5, 1e-3, 1, true, null);
        Path dir = ctx.outDir.resolve("probe-decoder");
        Files.createDirectories(dir);
        Map<String, Object> json = ProbeReport.json(m.source(), d, r);
        AtomicFile.writeString(dir.resolve("probe.json"), Json.write(json));
        AtomicFile.writeString(dir.resolve("probe.html"), ProbeReport.html(m.source(), d, r));
        long inside = java.util.Arrays.stream(d.labels()).filter(y -> d.classes().get(y).equals(TokenLabels.INSIDE)).count();
        ctx.out.printf(Locale.ROOT, "  %d tokens of a story with dialogue, %d inside a quotation (quote marks left out); 5-fold cross-validation%n", r.rows(), inside);
        ctx.out.printf("  %-24s %9s %7s %10s %9s%n", "site", "logistic", "AUROC", "mass-mean", "shuffled");
        for (ProbeEvaluation.Site s : r.sites())
            ctx.out.printf(Locale.ROOT, "  %-24s %8.1f%% %7.3f %9.1f%% %8.1f%%%n", s.site(), 100 * s.logistic().accuracy(), s.logistic().auroc(),
                    100 * s.massMean().accuracy(), 100 * s.logisticShuffled().accuracy());
        ctx.out.printf(Locale.ROOT, "  (majority class: %.1f%%)%n", 100 * r.majorityShare());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        out.put("text", TEXT);
        out.put("rows", r.rows());
        out.put("inside_rows", inside);
        out.put("majority_share", r.majorityShare());
        out.put("sites", json.get("sites"));
        out.put("report_html", dir.resolve("probe.html").toString());
        return out;
    }
}
