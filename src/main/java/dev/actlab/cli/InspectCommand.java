package dev.actlab.cli;

import dev.actlab.inspect.DynamicsReport;
import dev.actlab.inspect.FindingsSummary;
import dev.actlab.inspect.InspectOptions;
import dev.actlab.inspect.InspectReport;
import dev.actlab.inspect.Inspector;
import dev.actlab.inspect.TokenActivations;
import dev.actlab.io.ProgressBar;
import dev.actlab.inspect.Report;
import dev.actlab.model.hook.HookedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "inspect", resourceBundle = "dev.actlab.cli.InspectCommand$Help", description = "Activation statistics and findings (massive activations, outlier channels, attention sinks,"
        + " MLP sparsity, logit lens); writes report.json and report.html into --out.")
final class InspectCommand implements Callable<Integer> {
    /** What the shared options say here. */
    public static final class Help extends OptionHelp {
        public Help() { super("json", "Print the findings as JSON instead of text."); }
    }

    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--text", description = "A text file to run (needs a model with a tokenizer).") Path text;
    @Option(names = "--prompt", description = "Text to run (needs a model with a tokenizer).") String prompt;
    @Option(names = "--tokens", description = "Token ids, e.g. \"1 403 407\".") String tokens;
    @Option(names = "--out", description = "Directory for report.json and report.html (with --checkpoints: dynamics.json and dynamics.html; default: that directory).") Path out;
    @Option(names = "--checkpoints", description = "A training run's --out directory: plots its dynamics.jsonl (max |x|, kurtosis, top channel, massive count per layer against the step).") Path checkpoints;
    @Option(names = "--ctx", defaultValue = "0", description = "Tokens per forward call; longer inputs run in chunks (default: the model's context).") int ctx;
    @Option(names = "--eps", defaultValue = "1e-3", description = "|x| below this counts as near zero (default ${DEFAULT-VALUE}).") float eps;
    @Option(names = "--massive-abs", defaultValue = "100", description = "Massive activation: |x| above (default ${DEFAULT-VALUE}).") float massiveAbs;
    @Option(names = "--massive-ratio", defaultValue = "1000", description = "... and above this x the row's median |x| (default ${DEFAULT-VALUE}).") float massiveRatio;
    @Option(names = "--outlier-threshold", defaultValue = "6", description = "LLM.int8() outlier magnitude (default ${DEFAULT-VALUE}).") float outlierThreshold;
    @Option(names = "--lens-positions", defaultValue = "8", description = "Logit lens over the last N positions (default ${DEFAULT-VALUE}).") int lensPositions;
    @Option(names = "--top-k", defaultValue = "5", description = "Logit lens predictions per cell (default ${DEFAULT-VALUE}).") int topK;
    @Option(names = "--attention-from", defaultValue = "-1", description = "report.html colours the text by the last layer's attention from this query position (0-based, among the first 256 tokens of the first chunk; default: the last shown).") int attentionFrom;
    @Option(names = "--no-channel-tables", description = "Leave per-channel statistics out of report.json (except the residual stream).") boolean noChannelTables;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;
    @Mixin ControlVectorOptions steering;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (checkpoints != null) return dynamics();
        if (out == null) throw new IllegalArgumentException("--out is required");
        OutputPath.directory("--out", out);
        int given = (text != null ? 1 : 0) + (prompt != null ? 1 : 0) + (tokens != null ? 1 : 0);
        if (given != 1) throw new IllegalArgumentException("give exactly one of --text, --prompt or --tokens");
        HookedModel m = model.load();
        String input = text != null ? TextInput.utf8(text) : null;
        if (text != null && input.isEmpty()) throw new IllegalArgumentException(text + ": the file is empty: no text to inspect");
        int[] ids = text != null ? TokenArgs.resolve(m, input, null) : TokenArgs.resolve(m, prompt, tokens);
        int shown = Math.min(Math.min(ids.length, TokenActivations.MAX_TOKENS), ctx > 0 ? ctx : m.contextLength());
        if (attentionFrom < -1 || attentionFrom >= shown)
            throw new IllegalArgumentException("--attention-from " + attentionFrom + " is not a position of the shown text (0.." + (shown - 1) + ")");
        InspectOptions d = InspectOptions.defaults();
        InspectOptions o = new InspectOptions(ctx, eps, d.compression(), massiveAbs, massiveRatio, d.maxMassiveListed(), outlierThreshold,
                d.outlierLayerFraction(), d.outlierTokenFraction(), lensPositions, topK, !noChannelTables, attentionFrom);
        InspectReport r = Inspector.inspect(m, ids, o, steering.interventions(m), new ProgressBar("inspect", "tokens", spec.commandLine().getErr()));
        Report.write(r, out);
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", r.model());
            j.put("input_tokens", r.input().tokens());
            j.put("chunks", r.input().chunks());
            j.put("massive_activations", r.massiveActivations().summary());
            j.put("outlier_channels", r.outlierChannels().findings());
            j.put("attention_sinks", r.attentionSinks().mass());
            j.put("sparsity", r.sparsity().layers());
            j.put("report_json", out.resolve(Report.JSON).toString());
            j.put("report_html", out.resolve(Report.HTML).toString());
            pw.println(Report.json(j));
        } else {
            pw.printf(Locale.ROOT, "%s: %s, %d layers, d_model %d; %d tokens in %d chunk(s), %.2f s%n", m.source(), m.architecture(), m.layers(), m.dModel(),
                    ids.length, r.input().chunks(), r.seconds());
            for (String line : FindingsSummary.lines(r)) pw.println(line);
            pw.println("wrote " + out.resolve(Report.JSON) + " and " + out.resolve(Report.HTML));
        }
        pw.flush();
        return 0;
    }

    private int dynamics() throws java.io.IOException {
        if (model.model != null || text != null || prompt != null || tokens != null)
            throw new IllegalArgumentException("--checkpoints reads a training run's dynamics.jsonl: it takes no --model, --text, --prompt or --tokens");
        DynamicsReport d = DynamicsReport.read(checkpoints);
        Path dir = out != null ? out : checkpoints;
        d.write(dir);
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) pw.println(Report.json(Map.of("summary", d.summary(), "dynamics_json", dir.resolve(DynamicsReport.JSON).toString(),
                "dynamics_html", dir.resolve(DynamicsReport.HTML).toString())));
        else {
            for (String line : d.summary()) pw.println(line);
            pw.println("wrote " + dir.resolve(DynamicsReport.JSON) + " and " + dir.resolve(DynamicsReport.HTML));
        }
        pw.flush();
        return 0;
    }
}
