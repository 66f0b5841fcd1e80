package dev.actlab.steer;

import dev.actlab.model.tokenizer.Tokenizer;
import java.util.Locale;

/**
 * The scalar a patching experiment follows, read off the logits of the last position:
 * {@code logit_diff:A,B} = logit[A] - logit[B] (the usual "does the model prefer A over B"),
 * or {@code logprob:A} = log softmax(logits)[A]. A and B are a text that must be one token
 * (taken literally, leading space included: {@code "logit_diff: he, she"}) or an id written
 * {@code #123}.
 */
public record PatchMetric(Kind kind, int tokenA, int tokenB, String spec) {
    public enum Kind { LOGIT_DIFF, LOGPROB }

    public static PatchMetric parse(String spec, Tokenizer tokenizer, int vocabSize) {
        int colon = spec.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("--metric \"" + spec + "\": expected logit_diff:A,B or logprob:A");
        String kind = spec.substring(0, colon).trim().toLowerCase(Locale.ROOT), args = spec.substring(colon + 1);
        switch (kind) {
            case "logit_diff" -> {
                int comma = args.indexOf(',');
                if (comma < 0) throw new IllegalArgumentException("--metric \"" + spec + "\": logit_diff needs two tokens, A,B");
                return new PatchMetric(Kind.LOGIT_DIFF, token(args.substring(0, comma), tokenizer, vocabSize, spec),
                        token(args.substring(comma + 1), tokenizer, vocabSize, spec), spec);
            }
            case "logprob" -> { return new PatchMetric(Kind.LOGPROB, token(args, tokenizer, vocabSize, spec), -1, spec); }
            default -> throw new IllegalArgumentException("--metric \"" + spec + "\": unknown metric " + kind + " (logit_diff or logprob)");
        }
    }

    private static int token(String s, Tokenizer tokenizer, int vocabSize, String spec) {
        if (s.matches("\\s*#\\d+\\s*")) {
            int id = Integer.parseInt(s.trim().substring(1));
            if (id >= vocabSize) throw new IllegalArgumentException("--metric \"" + spec + "\": token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            return id;
        }
        if (tokenizer == null) throw new IllegalArgumentException("--metric \"" + spec + "\": the model has no tokenizer; give token ids as #123");
        int[] ids = tokenizer.encode(s, false);
        if (ids.length != 1)
            throw new IllegalArgumentException("--metric \"" + spec + "\": \"" + s + "\" is " + ids.length + " tokens, not one"
                    + (ids.length > 1 ? " (" + describe(ids, tokenizer) + ")" : "") + spaced(s, tokenizer, spec));
        return ids[0];
    }

    /**
     * A word inside a sentence is usually one token with its leading space (" she") and several without
     * ("she" = "s" + "he"): when the spaced form is one token, say so and give the metric with the spaces.
     */
    private static String spaced(String s, Tokenizer tokenizer, String spec) {
        String w = s.strip();
        if (w.isEmpty() || s.startsWith(" ") || tokenizer.encode(" " + w, false).length != 1) return "";
        int colon = spec.indexOf(':');
        StringBuilder fixed = new StringBuilder(spec.substring(0, colon + 1));
        String[] parts = spec.substring(colon + 1).split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i], q = p.strip();
            boolean space = !p.startsWith(" ") && !q.startsWith("#") && !q.isEmpty() && tokenizer.encode(" " + q, false).length == 1;
            fixed.append(i > 0 ? "," : "").append(space ? " " + q : p);
        }
        return "; with its leading space \" " + w + "\" is one token: --metric \"" + fixed + "\"";
    }

    private static String describe(int[] ids, Tokenizer t) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) b.append(b.isEmpty() ? "" : " ").append('#').append(id).append('=').append(t.piece(id));
        return b.toString();
    }

    /** The metric of logits [rows, V] (the last row counts). */
    public double value(float[] logits, int rows, int V) {
        int o = (rows - 1) * V;
        return switch (kind) {
            case LOGIT_DIFF -> (double) logits[o + tokenA] - logits[o + tokenB];
            case LOGPROB -> logits[o + tokenA] - logSumExp(logits, o, V);
        };
    }

    /** d metric / d logits, laid out as logits [rows, V]: non-zero only in the last row. */
    public float[] gradient(float[] logits, int rows, int V) {
        float[] d = new float[rows * V];
        int o = (rows - 1) * V;
        switch (kind) {
            case LOGIT_DIFF -> { d[o + tokenA] += 1; d[o + tokenB] -= 1; }
            case LOGPROB -> {   // d log p_A / d z_i = [i == A] - p_i
                double lse = logSumExp(logits, o, V);
                for (int i = 0; i < V; i++) d[o + i] = (float) -Math.exp(logits[o + i] - lse);
                d[o + tokenA] += 1;
            }
        }
        return d;
    }

    private static double logSumExp(float[] x, int o, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[o + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[o + i] - max);
        return max + Math.log(s);
    }

    @Override public String toString() { return spec; }
}
