package dev.actlab.cli;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ControlVector;
import dev.actlab.steer.SteeringEffect;
import dev.actlab.steer.SteeringSweep;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

@Command(name = "sweep", mixinStandardHelpOptions = true, description = {"A control vector at a range of strengths: per strength the effect on prompts and the side effect on a neutral text (KL to the unsteered model, perplexity), with sampled continuations; DIR/sweep.json and DIR/sweep.html (effect against KL)."})
final class SteerSweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--vector", required = true, description = "Control-vector GGUF (llama.cpp's format; e.g. from steer extract).") Path vector;
    @Option(names = "--control-vector-layer-range", arity = "2", paramLabel = "START END", hideParamSyntax = true,
            description = "Layers steered, inclusive (default 1 and the layer count; <= 0 means its default), as on run.") int[] layerRange;
    @Option(names = "--strengths", defaultValue = "-8..8", description = "A..B (step 1), A..B:STEP, or a comma-separated list (default ${DEFAULT-VALUE}).") String strengths;
    @Option(names = "--effect", required = true, description = "logit_diff:A,B, logprob:A, or words:W1,W2,... (probability of the next token being one of them) at each prompt's last position.") String effect;
    @Option(names = "--prompt", required = true, description = "A prompt to measure the effect on and continue (repeatable).") List<String> prompts;

    static final class Neutral {
        @Option(names = "--neutral", description = "Neutral text for the side effect (KL, perplexity).") String text;
        @Option(names = "--neutral-file", description = "Neutral text from a UTF-8 file.") Path file;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Neutral neutral;

    @Option(names = "--ctx", defaultValue = "256", description = "Window for the neutral text (default ${DEFAULT-VALUE}, capped at the model's context).") int ctx;
    @Option(names = "--samples", defaultValue = "1", description = "Continuations per prompt and strength (default ${DEFAULT-VALUE}).") int samples;
    @Option(names = "--max-tokens", defaultValue = "32", description = "Tokens per continuation (default ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature, 0 = greedy (default ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--top-p", defaultValue = "0.9") float topP;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the k-th continuation: seed + k, the same at every strength (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--kl-budget", defaultValue = "0.5", description = "Report the strongest strengths whose mean KL stays within this many nats (default ${DEFAULT-VALUE}).") double klBudget;
    @Option(names = "--out", required = true, description = "Directory for sweep.json and sweep.html.") Path out;
    @Option(names = "--threads") Integer threads;
    @Option(names = "--json") boolean json;

    @Override public Integer call() throws Exception {
        if (threads != null) Parallel.setDefaultThreads(threads);
        OutputPath.directory("--out", out);
        double[] s = parseStrengths(strengths);
        LlamaModel m = model.decoder();
        if (m.tokenizer() == null) throw new IllegalArgumentException(m.source() + " has no tokenizer: the sweep needs text prompts");
        ControlVector v = ControlVector.read(vector);
        SteeringEffect e = SteeringEffect.parse(effect, m.tokenizer(), m.config().vocabSize());
        String text = neutral.text != null ? neutral.text : TextInput.utf8(neutral.file);
        int[] neutralIds = m.tokenizer().encode(text, true);
        int window = Math.min(ctx, m.config().contextLength());
        Files.createDirectories(out);
        int a = layerRange == null ? -1 : layerRange[0], b = layerRange == null ? -1 : layerRange[1];
        SteeringSweep.Result r = SteeringSweep.run(m, v, a, b, s, e, prompts, neutralIds, window,
                new SteeringSweep.Sampling(samples, maxTokens, temperature, topP, seed), out, new ProgressBar("sweep", "runs"));
        String source = model.path().toString();
        Map<String, Object> j = SweepReport.json(source, r, klBudget);
        AtomicFile.writeString(out.resolve("sweep.json"), Json.write(j));
        AtomicFile.writeString(out.resolve("sweep.html"), SweepReport.html(source, r, klBudget));
        PrintWriter w = spec.commandLine().getOut();
        if (json) { w.println(Json.write(j)); return 0; }
        w.printf(Locale.ROOT, "unsteered: effect %.4g, neutral perplexity %.3f (%d tokens)%n", r.baseEffect(), r.basePerplexity(), r.neutralTokens());
        w.printf("%9s %11s %9s %9s %9s %11s  %s%n", "strength", "effect", "mean KL", "p99 KL", "same top1", "perplexity", "continuation of the first prompt");
        for (SteeringSweep.Point p : r.points())
            w.printf(Locale.ROOT, "%9s %11.4g %9.4f %9.4f %8.1f%% %11.3f  %s%n", SweepReport.strength(p.strength()), p.effect(), p.meanKl(), p.p99Kl(),
                    100 * p.sameTop1(), p.perplexity(), p.samples().get(0).isEmpty() ? "" : DemoCommand.clip(p.samples().get(0).get(0), 70));
        SteeringSweep.Point[] best = r.withinBudget(klBudget);
        w.printf(Locale.ROOT, "within a mean KL of %s nats: strengths %s .. %s%n", klBudget,
                best[0] == null ? "none" : SweepReport.strength(best[0].strength()), best[1] == null ? "none" : SweepReport.strength(best[1].strength()));
        w.println("wrote " + out.resolve("sweep.json") + " and " + out.resolve("sweep.html"));
        return 0;
    }

    /** "A..B" (step 1), "A..B:STEP" or "x,y,z". */
    static double[] parseStrengths(String spec) {
        String t = spec.trim();
        try {
            if (t.contains("..")) {
                String[] ab = t.split("\\.\\.", 2);
                String hi = ab[1];
                double step = 1;
                int colon = hi.indexOf(':');
                if (colon >= 0) { step = Double.parseDouble(hi.substring(colon + 1)); hi = hi.substring(0, colon); }
                double lo = Double.parseDouble(ab[0]), top = Double.parseDouble(hi);
                if (!(step > 0) || !(top >= lo) || (top - lo) / step > 1000)
                    throw new IllegalArgumentException("--strengths " + spec + ": need A <= B and 0 < STEP, at most 1000 steps");
                List<Double> out = new ArrayList<>();
                long n = Math.round(Math.floor((top - lo) / step + 1e-9));
                for (long i = 0; i <= n; i++) out.add(lo + i * step);
                return out.stream().mapToDouble(Double::doubleValue).toArray();
            }
            return java.util.Arrays.stream(t.split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--strengths " + spec + ": expected A..B, A..B:STEP or a comma-separated list of numbers");
        }
    }
}
