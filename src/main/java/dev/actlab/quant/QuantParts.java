package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A recipe's quantization error split into a weight part and an activation part, with the QAT curve's
 * definitions (Chen et al. 2025): losses (mean NLL, nats/token) of the float model L_fp, weights only
 * quantized L_W, activations only L_A, both L_WA; weight part L_W - L_fp, activation part L_A - L_fp,
 * interaction = (L_WA - L_fp) - both parts. "Weights only" is the quantized model with its activation
 * quantizers taken out (rotations kept: they are exact); "activations only" puts back the float weights
 * each projection had just before it was rounded (so in the same rotated / scaled basis). And per
 * layer: the weight part with only that layer's weights rounded, the activation part with only that
 * layer's inputs quantized. All variants are evaluated in one pass beside the float model.
 */
public record QuantParts(double fp, double weightsOnly, double activationsOnly, double both, double[] weightPartAt, double[] activationPartAt) {

    public double weightPart() { return weightsOnly - fp; }
    public double activationPart() { return activationsOnly - fp; }
    public double total() { return both - fp; }
    public double interaction() { return total() - weightPart() - activationPart(); }

    public static QuantParts measure(LlamaModel base, QuantModel q, int[][] windows, Progress progress) {
        int L = q.layers();
        List<LlamaModel> variants = new ArrayList<>();
        variants.add(weightsOnly(q, -1).build());
        variants.add(activationsOnly(q, -1).build());
        variants.add(q.build());
        for (int l = 0; l < L; l++) variants.add(weightsOnly(q, l).build());
        for (int l = 0; l < L; l++) variants.add(activationsOnly(q, l).build());
        List<QuantizationStats> s = PairedPerplexity.run(base, variants, windows, progress);
        double fp = Math.log(s.get(0).basePerplexity());
        double[] w = new double[L], a = new double[L];
        for (int l = 0; l < L; l++) {
            w[l] = Math.log(s.get(3 + l).perplexity()) - fp;
            a[l] = Math.log(s.get(3 + L + l).perplexity()) - fp;
        }
        return new QuantParts(fp, Math.log(s.get(0).perplexity()), Math.log(s.get(1).perplexity()), Math.log(s.get(2).perplexity()), w, a);
    }

    /** Rounded weights (all, or only layer `only` when >= 0), no activation quantization. */
    static QuantModel weightsOnly(QuantModel q, int only) {
        QuantModel v = q.copy();
        for (int l = 0; l < v.layers(); l++)
            for (Linear lin : Linear.values()) {
                v.setInput(l, lin, v.input(l, lin).withQuantizer(null));
                if (only >= 0 && l != only) v.restoreFloatWeight(l, lin);
            }
        return v;
    }

    /** Float weights, activation quantization everywhere (or only in layer `only` when >= 0). */
    static QuantModel activationsOnly(QuantModel q, int only) {
        QuantModel v = q.copy();
        for (int l = 0; l < v.layers(); l++)
            for (Linear lin : Linear.values()) {
                v.restoreFloatWeight(l, lin);
                if (only >= 0 && l != only) v.setInput(l, lin, v.input(l, lin).withQuantizer(null));
            }
        return v;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss_fp", fp);
        m.put("loss_weights_only", weightsOnly);
        m.put("loss_activations_only", activationsOnly);
        m.put("loss_both", both);
        m.put("weight_part", weightPart());
        m.put("activation_part", activationPart());
        m.put("total", total());
        m.put("interaction", interaction());
        m.put("weight_part_by_layer", weightPartAt);
        m.put("activation_part_by_layer", activationPartAt);
        return m;
    }

    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "error split (nats/token, loss minus FP32 loss %.5f): weight part %.5f, activation part %.5f, total %.5f, interaction %+.5f%n",
                fp, weightPart(), activationPart(), total(), interaction()));
        b.append(String.format(Locale.ROOT, "%-8s %14s %18s%n", "layer", "weight part", "activation part"));
        for (int l = 0; l < weightPartAt.length; l++)
            b.append(String.format(Locale.ROOT, "%-8d %14.5f %18.5f%n", l, weightPartAt[l], activationPartAt[l]));
        return b.toString();
    }
}
