package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.steer.ActivationPatching;
import dev.actlab.steer.PatchExperiment;
import dev.actlab.steer.PatchMetric;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Where actlab's own decoder keeps a pronoun's gender: activation and attribution patching (patch.html). */
final class PatchDemoStep implements DemoStep {
    static final String CLEAN = "When the man came home, he said that", CORRUPT = "When the woman came home, she said that";
    static final String METRIC = "logit_diff: he, she";

    @Override public String name() { return "patch"; }
    @Override public String title() { return "activation and attribution patching on actlab's own decoder (patch.html)"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] clean = m.tokenizer().encode(CLEAN, true), corrupt = m.tokenizer().encode(CORRUPT, true);
        PatchMetric metric = PatchMetric.parse(METRIC, m.tokenizer(), m.config().vocabSize());
        List<String> sites = ActivationPatching.selectSites(m.sites(), List.of(PatchExperiment.DEFAULT_SITES.split(",")));
        PatchExperiment x = PatchExperiment.run(m, clean, corrupt, metric, sites, ActivationPatching.Positions.EACH, true, new ProgressBar("patch:", "runs"));
        Path dir = ctx.outDir.resolve("patch-decoder");
        x.write(dir);

        ActivationPatching.Result r = x.result();
        List<String> cols = x.columnLabels();
        ctx.out.printf(Locale.ROOT, "  \"%s\" vs \"%s\": logit(he) - logit(she) %.3f vs %.3f%n", CLEAN, CORRUPT, r.clean(), r.corrupt());
        ctx.out.println("  the patches that restore most of it (restored fraction: real / attribution estimate):");
        record Cell(int site, int col, double restored) {}
        List<Cell> cells = new java.util.ArrayList<>();
        for (int s = 0; s < r.sites().size(); s++)
            for (int c = 0; c < r.columns(); c++) cells.add(new Cell(s, c, r.restored(s, c)));
        cells.sort((a, b) -> Double.compare(Math.abs(b.restored), Math.abs(a.restored)));
        for (Cell c : cells.subList(0, Math.min(6, cells.size())))
            ctx.out.printf(Locale.ROOT, "    %-24s at %-12s %5.2f / %5.2f%n", r.sites().get(c.site), cols.get(c.col), c.restored,
                    x.estimate()[c.site][c.col] / (r.clean() - r.corrupt()));
        Map<String, Object> corr = x.correlation();
        ctx.out.printf(Locale.ROOT, "  attribution vs activation patching over %s cells: Pearson %.3f (%d forward passes vs 2 and 1 backward pass)%n",
                corr.get("cells"), (Double) corr.get("pearson"), x.runs());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        out.put("clean", CLEAN);
        out.put("corrupt", CORRUPT);
        out.put("metric", METRIC);
        out.put("clean_metric", r.clean());
        out.put("corrupt_metric", r.corrupt());
        out.put("correlation", corr);
        out.put("report_html", dir.resolve("patch.html").toString());
        return out;
    }
}
