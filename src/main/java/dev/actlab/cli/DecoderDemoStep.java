package dev.actlab.cli;

import dev.actlab.inspect.InspectReport;
import dev.actlab.inspect.Report;
import dev.actlab.model.generate.Generation;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** actlab's own English decoder: a continuation, and an inspect report with the logit lens. */
final class DecoderDemoStep implements DemoStep {
    static final String PROMPT = "The jury said";
    static final String TEXT = "The Fulton County Grand Jury said Friday an investigation of the city's recent primary election "
            + "produced no evidence that any irregularities took place.";

    @Override public String name() { return "decoder"; }
    @Override public String title() { return "actlab's own decoder (trained on Brown and the State of the Union addresses): generation and logit lens (report.html)"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] prompt = m.tokenizer().encode(PROMPT, true);
        Generation g = Generator.generate(m, prompt, 48, new Sampler(0.8f, 0.9f, 3), Hooks.none(), id -> {});
        ctx.out.println("  " + PROMPT + g.text());
        ctx.out.printf("  (%d tokens at %.0f tok/s)%n", g.generatedTokens().length, g.decodeTokensPerSecond());
        int[] ids = m.tokenizer().encode(TEXT, true);
        Path dir = ctx.outDir.resolve("inspect-decoder");
        InspectReport r = InspectDemoStep.inspectInto(ctx, m, ids, dir);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        out.put("prompt", PROMPT);
        out.put("continuation", g.text());
        out.put("decode_tokens_per_second", g.decodeTokensPerSecond());
        out.put("inspected_text", TEXT);
        out.put("massive_activations", r.massiveActivations().summary());
        out.put("report_html", dir.resolve(Report.HTML).toString());
        return out;
    }
}
