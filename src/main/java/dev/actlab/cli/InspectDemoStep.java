package dev.actlab.cli;

import dev.actlab.inspect.FindingsSummary;
import dev.actlab.inspect.InspectOptions;
import dev.actlab.inspect.InspectReport;
import dev.actlab.inspect.Inspector;
import dev.actlab.inspect.Report;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.bert.BertModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Inspects MiniLM's activations on a short text: massive activations, sinks, sparsity; writes the HTML report. */
final class InspectDemoStep implements DemoStep {
    static final String TEXT = "The Eiffel Tower, finished in 1889, is in Paris. Millions of people visit it every year; "
            + "from the top, on a clear day, one can see about seventy kilometres.";

    @Override public String name() { return "inspect"; }
    @Override public String title() { return "activations of all-MiniLM-L6-v2: massive activations, attention sinks, sparsity (report.html)"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        BertModel m = ctx.encoder();
        int[] ids = m.tokenizer().encode(TEXT, true);
        Path dir = ctx.outDir.resolve("inspect-minilm");
        InspectReport r = inspectInto(ctx, m, ids, dir);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        out.put("text", TEXT);
        out.put("tokens", ids.length);
        out.put("massive_activations", r.massiveActivations().summary());
        out.put("attention_sinks", r.attentionSinks().mass());
        out.put("sparsity", r.sparsity().layers());
        out.put("report_html", dir.resolve(Report.HTML).toString());
        out.put("report_json", dir.resolve(Report.JSON).toString());
        return out;
    }

    /** Inspects the tokens, writes report.json and report.html into dir, prints the findings. */
    static InspectReport inspectInto(DemoContext ctx, HookedModel m, int[] ids, Path dir) throws java.io.IOException {
        InspectReport r = Inspector.inspect(m, ids, InspectOptions.defaults(), null);
        Report.write(r, dir);
        for (String line : FindingsSummary.lines(r)) ctx.out.println("  " + line);
        ctx.out.println("  report: " + dir.resolve(Report.HTML));
        return r;
    }
}
