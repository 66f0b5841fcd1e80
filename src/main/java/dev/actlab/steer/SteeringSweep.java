package dev.actlab.steer;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.eval.PerplexityResult;
import dev.actlab.model.eval.SavedLogits;
import dev.actlab.model.generate.Generation;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A control vector at a range of strengths: for each strength s the vector is applied as
 * {@code --control-vector-scaled FILE:s} would apply it, and the sweep measures
 *
 * <ul>
 * <li>the effect: a {@link SteeringEffect} at the last position of each prompt, averaged over the prompts;</li>
 * <li>the side effect on a neutral text: KL(unsteered || steered) per position (mean, 99th percentile) and
 *     the perplexity, exactly as {@code actlab ppl --kl-base} computes them;</li>
 * <li>continuations of the prompts, sampled with the same seed at every strength.</li>
 * </ul>
 */
public final class SteeringSweep {
    public record Sampling(int perPrompt, int maxTokens, float temperature, float topP, long seed) {}

    public record Point(double strength, double effect, double[] effectPerPrompt, double meanKl, double p99Kl, double sameTop1,
                        double perplexity, List<List<String>> samples) {}

    public record Result(ControlVector vector, int[] layerRange, SteeringEffect effect, List<String> prompts, int neutralTokens,
                         int ctx, double basePerplexity, double baseEffect, List<Point> points) {
        /**
         * The strongest strengths of each sign whose mean KL stays within the budget (null where
         * none does): the KL-bounded choice of strength.
         */
        public Point[] withinBudget(double klBudget) {
            Point best = null, worst = null;
            for (Point p : points) {
                if (p.meanKl > klBudget) continue;
                if (p.strength > 0 && (best == null || p.strength > best.strength)) best = p;
                if (p.strength < 0 && (worst == null || p.strength < worst.strength)) worst = p;
            }
            return new Point[]{worst, best};
        }
    }

    private SteeringSweep() {}

    /**
     * @param neutral the neutral text's tokens; scored in windows of ctx tokens as {@code ppl} does
     * @param scratch a directory for the unsteered logits of the neutral text (deleted afterwards)
     */
    public static Result run(LlamaModel model, ControlVector vector, int layerStart, int layerEnd, double[] strengths,
                             SteeringEffect effect, List<String> prompts, int[] neutral, int ctx, Sampling sampling,
                             Path scratch, Progress progress) throws IOException {
        if (strengths.length == 0) throw new IllegalArgumentException("no strengths to sweep");
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to measure the effect on");
        if (model.tokenizer() == null) throw new IllegalArgumentException(model.source() + " has no tokenizer: prompts cannot be encoded");
        vector.checkFits(model);
        new Steering().add(vector, 1f).layerRange(layerStart, layerEnd).bind(model);   // the range must steer something
        int V = model.config().vocabSize();
        List<int[]> promptIds = new ArrayList<>();
        for (String p : prompts) promptIds.add(model.tokenizer().encode(p, true));
        long total = (long) (strengths.length + 1) * (1 + prompts.size() * (1 + sampling.perPrompt()));
        long[] done = {0};
        Runnable step = () -> { if (progress != null) progress.update(++done[0], total); };

        Files.createDirectories(scratch);
        Path baseLogits = Files.createTempFile(scratch, "unsteered", ".logits");
        try {
            PerplexityResult base;
            try (SavedLogits.Writer w = new SavedLogits.Writer(baseLogits, V)) {
                base = Perplexity.run(model, neutral, ctx, Hooks.none(), w, null, null);
                w.commit();
            }
            step.run();
            double baseEffect = 0;
            for (int[] ids : promptIds) baseEffect += effect.value(model.forward(model.newCache(), ids, Hooks.none(), false), V) / promptIds.size();
            for (int i = 0; i < prompts.size() * (1 + sampling.perPrompt()); i++) step.run();

            SavedLogits saved = SavedLogits.open(baseLogits);
            List<Point> points = new ArrayList<>();
            for (double s : strengths) {
                Hooks hooks = new Steering().add(vector, (float) s).layerRange(layerStart, layerEnd).hooks(model);
                PerplexityResult r = Perplexity.run(model, neutral, ctx, hooks, null, saved, null);
                step.run();
                double[] per = new double[promptIds.size()];
                double mean = 0;
                List<List<String>> samples = new ArrayList<>();
                for (int p = 0; p < promptIds.size(); p++) {
                    per[p] = effect.value(model.forward(model.newCache(), promptIds.get(p), hooks, false), V);
                    mean += per[p] / promptIds.size();
                    step.run();
                    List<String> texts = new ArrayList<>();
                    for (int k = 0; k < sampling.perPrompt(); k++) {
                        Sampler sampler = new Sampler(sampling.temperature(), sampling.topP(), sampling.seed() + k);
                        Generation g = Generator.generate(model, promptIds.get(p), sampling.maxTokens(), sampler, hooks, id -> {});
                        texts.add(g.text());
                        step.run();
                    }
                    samples.add(texts);
                }
                points.add(new Point(s, mean, per, r.kl().meanKl(), r.kl().p99Kl(), r.kl().sameTop1(), r.perplexity(), samples));
            }
            int[] range = new Steering().layerRange(layerStart, layerEnd).effectiveRange(model.layers());
            return new Result(vector, range, effect, List.copyOf(prompts), neutral.length, r0(base), base.perplexity(), baseEffect, points);
        } finally {
            Files.deleteIfExists(baseLogits);
            Files.deleteIfExists(baseLogits.resolveSibling(baseLogits.getFileName() + ".json"));
        }
    }

    private static int r0(PerplexityResult base) { return base.contextLength(); }
}
