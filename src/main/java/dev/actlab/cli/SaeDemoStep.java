package dev.actlab.cli;

import dev.actlab.io.Progress;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.sae.ModelActivations;
import dev.actlab.sae.SaeConfig;
import dev.actlab.sae.SaeEval;
import dev.actlab.sae.SaeFile;
import dev.actlab.sae.SaeTrainer;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A small TopK SAE on actlab's own decoder's blocks.2.hook_resid_post, trained from the model's stream over the Brown corpus, evaluated on held-out text. */
final class SaeDemoStep implements DemoStep {
    static final String SITE = "blocks.2.hook_resid_post";
    static final int K = 32, EXPANSION = 8, BATCH = 2048, CTX = 128, POOL = 16384, WINDOWS = 40;
    static final long TOKENS = 2048L * 64;

    @Override public String name() { return "sae"; }
    @Override public String title() { return "a TopK sparse autoencoder on actlab's own decoder (" + SITE + ", k " + K + ", " + EXPANSION + "x)"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] train = m.tokenizer().encode(SaeCommand.prefix(SaeCommand.brownSplit(false), TOKENS + POOL), false);
        ModelActivations src = new ModelActivations(m, SITE, train, CTX, POOL, 1);
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, K, EXPANSION, 1e-3, BATCH, TOKENS, 1, 0, 1.0 / 32, 0, TOKENS / 4, 16);
        SaeTrainer.Result t = SaeTrainer.train(src, SITE, 2, m.source(), o, Parallel.shared(), new ProgressBar("  sae train", "tokens"), null);
        Path dir = ctx.outDir.resolve("sae-decoder");
        SaeFile.write(t.sae(), dir, CTX);
        int[] held = m.tokenizer().encode(SaeCommand.prefix(SaeCommand.brownSplit(true), (long) WINDOWS * CTX), false);
        SaeEval.Result r = SaeEval.evaluate(m, t.sae(), held, CTX, WINDOWS, Parallel.shared(), Progress.NONE);
        ctx.out.printf(Locale.ROOT, "  trained on %d tokens in %.1f s (%.1f s running the model); SAE in %s%n", t.tokens(), t.seconds(), t.dataSeconds(), dir);
        ctx.out.printf(Locale.ROOT, "  held-out Brown, %d tokens: FVU %.3f, L0 %.1f, dead %.3f; CE loss clean %.3f, spliced %.3f, zero-ablated %.3f: recovered %.3f%n",
                r.rows(), r.fvu(), r.l0(), r.deadFraction(), r.ceClean(), r.ceSpliced(), r.ceZero(), r.ceRecovered());
        dev.actlab.sae.FeatureDashboard.write(dir.resolve("features.html"), t.sae(), r, m.tokenizer(), held, 300, m.weights().output(), Parallel.shared());
        ctx.out.println("  feature dashboard: " + dir.resolve("features.html"));
        List<Map<String, Object>> features = new ArrayList<>();
        for (int f : pick(r, 4)) {
            List<String> shown = new ArrayList<>();
            for (SaeEval.Example e : r.top().get(f).subList(0, Math.min(5, r.top().get(f).size()))) shown.add(context(m, held, e.token()));
            ctx.out.printf(Locale.ROOT, "  feature %d (fires on %.2f%% of tokens): %s%n", f, 100 * r.density()[f], String.join("  ", shown));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("feature", f);
            j.put("density", r.density()[f]);
            j.put("top_contexts", shown);
            features.add(j);
        }
        Map<String, Object> out = new LinkedHashMap<>(SaeEvalCommand.report(t.sae(), r, m.source(), "brown held-out"));
        out.put("train_tokens", t.tokens());
        out.put("train_seconds", t.seconds());
        out.put("sae_dir", dir.toString());
        out.put("dashboard_html", dir.resolve("features.html").toString());
        out.put("features", features);
        return out;
    }

    /** Features firing on 0.05%..5% of tokens whose top examples are the strongest. */
    static List<Integer> pick(SaeEval.Result r, int n) {
        List<Integer> cand = new ArrayList<>();
        for (int i = 0; i < r.density().length; i++)
            if (r.density()[i] >= 5e-4 && r.density()[i] <= 0.05 && r.top().get(i).size() >= 3) cand.add(i);
        cand.sort(Comparator.comparingDouble((Integer i) -> -r.top().get(i).get(0).value()).thenComparingInt(i -> i));
        return cand.subList(0, Math.min(n, cand.size()));
    }

    /** A few tokens before the activating one, which is in brackets. */
    static String context(LlamaModel m, int[] ids, int at) {
        int from = Math.max(0, at - 4);
        String before = m.tokenizer().decode(java.util.Arrays.copyOfRange(ids, from, at));
        String tok = m.tokenizer().decode(new int[]{ids[at]});
        return ("\"" + before + "[" + tok + "]\"").replaceAll("\\s+", " ");
    }
}
