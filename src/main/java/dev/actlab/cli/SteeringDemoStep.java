package dev.actlab.cli;

import dev.actlab.model.load.ModelRef;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ContrastivePairs;
import dev.actlab.steer.ControlVector;
import dev.actlab.steer.SteeringEffect;
import dev.actlab.steer.SteeringSweep;
import dev.actlab.steer.VectorExtraction;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Steering actlab's own decoder from past to present tense: a control vector extracted from 40
 * contrastive pairs (CAA), swept over strengths at one layer; the effect on the next token
 * (logit is - logit was), on what the model writes (share of present-tense forms), and its KL cost.
 */
final class SteeringDemoStep implements DemoStep {
    static final String PAIRS = "/dev/actlab/steer/present-past.tsv", NEUTRAL = "/dev/actlab/steer/neutral.txt";
    static final String EFFECT = "logit_diff: is, was";
    static final List<String> PROMPTS = List.of("The old man", "She", "The city", "My brother", "The house", "The committee");
    static final int LAYER = 3;
    static final String STRENGTHS = "-8..8:2";
    static final double KL_BUDGET = 0.5, SHOWN = 4;
    static final Set<String> PRESENT = Set.of("is", "are", "am", "has", "have", "does", "says", "seems", "goes", "comes", "makes", "takes");
    static final Set<String> PAST = Set.of("was", "were", "had", "did", "said", "seemed", "went", "came", "made", "took");

    @Override public String name() { return "steering"; }
    @Override public String title() { return "steering actlab's own decoder from past to present tense with a control vector (steer-decoder/sweep.html)"; }

    static List<String> resourceLines(String name) throws IOException {
        try (InputStream in = SteeringDemoStep.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("resource " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** How many of the texts' words are present-tense forms and how many past-tense forms: {present, past}. */
    static int[] tenseCounts(List<String> texts) {
        int present = 0, past = 0;
        for (String t : texts)
            for (String w : t.toLowerCase(Locale.ROOT).split("[^a-z']+")) {
                if (PRESENT.contains(w)) present++;
                else if (PAST.contains(w)) past++;
            }
        return new int[]{present, past};
    }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder((String) null);
        Path dir = ctx.outDir.resolve("steer-decoder");
        Files.createDirectories(dir);
        ContrastivePairs pairs = ContrastivePairs.parse(resourceLines(PAIRS), "present-past.tsv");
        List<String> notes = new ArrayList<>();
        List<String> sites = VectorExtraction.sites(m, "blocks.*.hook_resid_post", notes);
        long t0 = System.nanoTime();
        VectorExtraction.Result x = VectorExtraction.extract(m, pairs, sites, VectorExtraction.Method.CAA, VectorExtraction.Position.MEAN, false, notes, null);
        Path file = dir.resolve("present-tense.gguf");
        ControlVector v = x.controlVector(m.architecture(), file.toString());
        v.write(file);
        double extractSeconds = (System.nanoTime() - t0) / 1e9;
        ctx.out.printf(Locale.ROOT, "  control vector from %d present/past pairs (CAA, mean over tokens) in %.1f s: %s%n", pairs.size(), extractSeconds, file);

        String neutral = String.join("\n", resourceLines(NEUTRAL));
        int[] neutralIds = m.tokenizer().encode(neutral, true);
        SteeringEffect effect = SteeringEffect.parse(EFFECT, m.tokenizer(), m.config().vocabSize());
        SteeringSweep.Result r = SteeringSweep.run(m, v, LAYER, LAYER, SteerSweepCommand.parseStrengths(STRENGTHS), effect, PROMPTS, neutralIds,
                Math.min(256, m.config().contextLength()), new SteeringSweep.Sampling(2, 24, 0.8f, 0.9f, 1), dir, null);
        Map<String, Object> json = SweepReport.json(m.source(), r, KL_BUDGET);
        List<Map<String, Object>> shares = new ArrayList<>();
        ctx.out.printf(Locale.ROOT, "  added at blocks.%d.hook_resid_post (--control-vector-scaled %s:S --control-vector-layer-range %d %d)%n", LAYER, file.getFileName(), LAYER, LAYER);
        ctx.out.printf("  %9s %14s %9s %11s   %s%n", "strength", "logit is-was", "mean KL", "neutral ppl", "present-tense forms in the continuations");
        for (SteeringSweep.Point p : r.points()) {
            List<String> all = new ArrayList<>();
            p.samples().forEach(all::addAll);
            int[] n = tenseCounts(all);
            Double share = n[0] + n[1] == 0 ? null : (double) n[0] / (n[0] + n[1]);
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("strength", p.strength());
            s.put("present_forms", n[0]);
            s.put("past_forms", n[1]);
            s.put("present_share", share);
            shares.add(s);
            ctx.out.printf(Locale.ROOT, "  %9s %14.3f %9.4f %11.2f   %s%n", SweepReport.strength(p.strength()), p.effect(), p.meanKl(), p.perplexity(),
                    share == null ? "-" : String.format(Locale.ROOT, "%3.0f%% (%d present, %d past)", 100 * share, n[0], n[1]));
        }
        json.put("present_share_of_continuations", shares);
        for (SteeringSweep.Point p : r.points())
            if (Math.abs(p.strength()) == SHOWN || p.strength() == 0)
                for (int q = 0; q < 2; q++)
                    ctx.out.printf(Locale.ROOT, "  %4s (KL %.2f)  %s%s%n", SweepReport.strength(p.strength()), p.meanKl(), PROMPTS.get(q), DemoCommand.clip(p.samples().get(q).get(0), 90));
        SteeringSweep.Point[] best = r.withinBudget(KL_BUDGET);
        if (best[1] != null)
            ctx.out.printf(Locale.ROOT, "  within a mean KL of %.1f nats/token: up to strength %s, logit(is) - logit(was) %.2f -> %.2f%n",
                    KL_BUDGET, SweepReport.strength(best[1].strength()), r.baseEffect(), best[1].effect());
        AtomicFile.writeString(dir.resolve("sweep.json"), Json.write(json));
        AtomicFile.writeString(dir.resolve("sweep.html"), SweepReport.html(m.source(), r, KL_BUDGET));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        out.put("pairs", PAIRS);
        out.put("vector", file.toString());
        out.put("layer", LAYER);
        out.put("effect", EFFECT);
        out.put("unsteered_effect", r.baseEffect());
        out.put("points", json.get("points"));
        out.put("present_share_of_continuations", shares);
        out.put("within_kl_budget", json.get("within_kl_budget"));
        out.put("report_html", dir.resolve("sweep.html").toString());
        return out;
    }
}
