package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ActivationPatching;
import dev.actlab.steer.ActivationPatching.Positions;
import dev.actlab.steer.PatchExperiment;
import dev.actlab.steer.PatchMetric;
import dev.actlab.steer.PatchReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * `actlab patch`: activation patching from a clean into a corrupted input, and with
 * --attribution its gradient estimate (attribution patching) with the correlation between the two.
 */
@Command(name = "patch", mixinStandardHelpOptions = true, resourceBundle = "dev.actlab.cli.PatchCommand$Help",
        description = {"Activation patching: rerun the corrupted input with one site (and position) taken from the clean run and report how much of the metric it restores.",
                "With --attribution, also estimate every patch from the clean and corrupted runs and one backward pass (gradient x activation difference) and report how well the estimate correlates with the real patches."})
public final class PatchCommand implements Callable<Integer> {
    /** What the shared options say here. */
    public static final class Help extends OptionHelp {
        public Help() { super("json", "Print JSON instead of tables."); }
    }

    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--clean", description = "The clean input text (BOS is prepended).") String clean;
    @Option(names = "--corrupt", description = "The corrupted input text; must be as many tokens as the clean one.") String corrupt;
    @Option(names = "--clean-tokens", description = "The clean input as token ids, e.g. \"1 403 407\".") String cleanTokens;
    @Option(names = "--corrupt-tokens", description = "The corrupted input as token ids.") String corruptTokens;
    @Option(names = "--metric", required = true, description = "logit_diff:A,B (logit of A minus logit of B at the last position) or logprob:A; "
            + "A and B are one-token texts taken literally (\"logit_diff: he, she\") or ids (#123).") String metric;
    @Option(names = "--sites", split = ",", description = "Site globs, comma-separated (default " + PatchExperiment.DEFAULT_SITES + ").") List<String> sites;
    @Option(names = "--positions", defaultValue = "each", description = "each: patch every position on its own; all: every position of a site at once (default ${DEFAULT-VALUE}).") String positions;
    @Option(names = "--attribution", description = "Also run attribution patching and correlate it with the real patches.") boolean attribution;
    @Option(names = "--out", description = "Directory for patch.json and patch.html.") Path out;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        OutputPath.directory("--out", out);
        Positions mode = switch (positions.toLowerCase(Locale.ROOT)) {
            case "each" -> Positions.EACH;
            case "all" -> Positions.ALL;
            default -> throw new IllegalArgumentException("--positions must be each or all, not " + positions);
        };
        LlamaModel m = model.decoder();
        int[] cleanIds = tokens(m, clean, cleanTokens, "--clean"), corruptIds = tokens(m, corrupt, corruptTokens, "--corrupt");
        if (cleanIds.length != corruptIds.length)
            throw new IllegalArgumentException("--clean is " + cleanIds.length + " tokens and --corrupt " + corruptIds.length
                    + ": patching needs inputs of the same length (clean: " + PatchExperiment.labels(m.tokenizer(), cleanIds)
                    + "; corrupt: " + PatchExperiment.labels(m.tokenizer(), corruptIds) + ")");
        PatchMetric pm = PatchMetric.parse(metric, m.tokenizer(), m.config().vocabSize());
        List<String> siteNames = ActivationPatching.selectSites(m.sites(), sites == null ? List.of(PatchExperiment.DEFAULT_SITES.split(",")) : sites);

        PatchExperiment x = PatchExperiment.run(m, cleanIds, corruptIds, pm, siteNames, mode, attribution, new ProgressBar("patch:", "runs"));
        if (out != null) x.write(out);
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) pw.println(Json.write(x.json()));
        else PatchReport.text(x, pw);
        pw.flush();
        return 0;
    }

    private static int[] tokens(LlamaModel m, String text, String ids, String option) {
        if ((text == null) == (ids == null)) throw new IllegalArgumentException("give exactly one of " + option + " or " + option + "-tokens");
        return TokenArgs.resolve(m, text, ids);
    }
}
