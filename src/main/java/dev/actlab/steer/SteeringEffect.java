package dev.actlab.steer;

import dev.actlab.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * What a steering sweep measures at the last position of each prompt: a {@link PatchMetric}
 * ({@code logit_diff:A,B} or {@code logprob:A}), or {@code words:W1,W2,...}, the probability that the
 * next token is one of the words (each must be one token, taken literally with its leading space;
 * {@code #123} for an id).
 */
public final class SteeringEffect {
    private final String spec;
    private final PatchMetric metric;   // null for words
    private final int[] words;

    private SteeringEffect(String spec, PatchMetric metric, int[] words) { this.spec = spec; this.metric = metric; this.words = words; }

    public static SteeringEffect parse(String spec, Tokenizer tokenizer, int vocabSize) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? "" : spec.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        if (!kind.equals("words")) {
            try { return new SteeringEffect(spec, PatchMetric.parse(spec, tokenizer, vocabSize), null); }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replace("--metric", "--effect").replace("expected logit_diff:A,B or logprob:A",
                        "expected logit_diff:A,B, logprob:A or words:W1,W2,...").replace("(logit_diff or logprob)", "(logit_diff, logprob or words)"));
            }
        }
        LinkedHashSet<Integer> ids = new LinkedHashSet<>();
        List<String> bad = new ArrayList<>();
        for (String w : spec.substring(colon + 1).split(",")) {
            if (w.isBlank()) continue;
            try { ids.add(PatchMetric.parse("logprob:" + w, tokenizer, vocabSize).tokenA()); }
            catch (IllegalArgumentException e) { bad.add(e.getMessage().replaceFirst("^--metric \"[^\"]*\": ", "")); }
        }
        if (!bad.isEmpty()) throw new IllegalArgumentException("--effect \"" + spec + "\": every word must be one token: " + String.join("; ", bad));
        if (ids.isEmpty()) throw new IllegalArgumentException("--effect \"" + spec + "\": no words");
        return new SteeringEffect(spec, null, ids.stream().mapToInt(Integer::intValue).toArray());
    }

    public String spec() { return spec; }

    /** The token ids of a words: effect (empty for a metric). */
    public List<Integer> words() {
        List<Integer> out = new ArrayList<>();
        if (words != null) for (int w : words) out.add(w);
        return out;
    }

    /** The effect of one logits row [V]. */
    public double value(float[] lastLogits, int V) {
        if (metric != null) return metric.value(lastLogits, 1, V);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, lastLogits[i]);
        double z = 0, hit = 0;
        for (int i = 0; i < V; i++) z += Math.exp(lastLogits[i] - max);
        for (int w : words) hit += Math.exp(lastLogits[w] - max);
        return hit / z;
    }

    @Override public String toString() { return spec; }
}
