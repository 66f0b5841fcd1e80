package dev.actlab.inspect;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.HookedDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Logit lens (nostalgebraist 2020): the model's own final norm and unembedding applied to the
 * residual stream after every block ({@code blocks.L.hook_resid_post}), giving the next-token
 * prediction the model "would make" if it stopped at layer L. At the last layer this is exactly
 * the model's output.
 */
public final class LogitLens {
    public record Prediction(int tokenId, String token, float logit, double prob) {}

    /** The lens at one layer: top-k predictions, and the rank and probability of the token that actually follows. */
    public record LayerView(int layer, List<Prediction> top, Integer nextTokenRank, Double nextTokenProb) {}

    public record Position(int position, int tokenId, String token, Integer nextTokenId, String nextToken, List<LayerView> layers) {}

    public record Result(Rule rule, List<Position> positions) {}

    private LogitLens() {}

    /** The site the lens reads at layer L. */
    public static String site(int layer) { return HookSite.RESID_POST.nameAt(layer); }

    /**
     * The lens for the last `positions` positions of a chunk whose resid_post sites are in the cache.
     * chunkStart = the chunk's first position in the whole input; next = the token after the chunk, or -1.
     */
    public static Result compute(HookedDecoder model, ActivationCache cache, int[] chunkTokens, int chunkStart, int next,
                                 int positions, int topK, TokenText text) {
        int n = chunkTokens.length, p = Math.min(positions, n), dim = model.dModel(), vocab = model.vocabSize();
        int first = n - p;
        List<List<LayerView>> perPos = new ArrayList<>();
        for (int i = 0; i < p; i++) perPos.add(new ArrayList<>());
        for (int l = 0; l < model.layers(); l++) {
            Activation a = cache.get(site(l));   // [n, dim]
            float[] rows = new float[p * dim];
            System.arraycopy(a.data, a.offset + first * dim, rows, 0, p * dim);
            float[] logits = model.unembed(rows, p);  // [p, vocab]
            for (int i = 0; i < p; i++) {
                int t = first + i;
                int target = t + 1 < n ? chunkTokens[t + 1] : next;
                perPos.get(i).add(view(l, logits, i * vocab, vocab, topK, target, text));
            }
        }
        List<Position> out = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            int t = first + i;
            int target = t + 1 < n ? chunkTokens[t + 1] : next;
            out.add(new Position(chunkStart + t, chunkTokens[t], text.piece(chunkTokens[t]),
                    target >= 0 ? target : null, target >= 0 ? text.piece(target) : null, perPos.get(i)));
        }
        Rule rule = new Rule("logit_lens",
                "final norm + unembedding of the model applied to blocks.L.hook_resid_post; softmax probabilities; top " + topK
                        + " tokens for the last " + p + " positions of the last chunk",
                Map.of("site", "blocks.*.hook_resid_post", "top_k", topK, "positions", p));
        return new Result(rule, out);
    }

    private static LayerView view(int layer, float[] logits, int off, int vocab, int k, int target, TokenText text) {
        double max = Double.NEGATIVE_INFINITY;  // softmax in double: probabilities of rare tokens keep their digits
        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[off + v]);
        double z = 0;
        for (int v = 0; v < vocab; v++) z += Math.exp(logits[off + v] - max);
        int[] top = topK(logits, off, vocab, k);
        List<Prediction> preds = new ArrayList<>();
        for (int id : top) preds.add(new Prediction(id, text.piece(id), logits[off + id], Math.exp(logits[off + id] - max) / z));
        Integer rank = null;
        Double prob = null;
        if (target >= 0 && target < vocab) {
            int r = 0;
            for (int v = 0; v < vocab; v++) if (logits[off + v] > logits[off + target] || (logits[off + v] == logits[off + target] && v < target)) r++;
            rank = r;
            prob = Math.exp(logits[off + target] - max) / z;
        }
        return new LayerView(layer, preds, rank, prob);
    }

    /** Indices of the k largest values of v[off, off + len), largest first; ties broken by lower index. */
    static int[] topK(float[] v, int off, int len, int k) {
        k = Math.min(k, len);
        int[] best = new int[k];
        int filled = 0;
        for (int i = 0; i < len; i++) {
            float x = v[off + i];
            int pos = filled;
            while (pos > 0 && v[off + best[pos - 1]] < x) pos--;
            if (pos >= k) continue;
            int end = Math.min(filled, k - 1);
            System.arraycopy(best, pos, best, pos + 1, end - pos);
            best[pos] = i;
            if (filled < k) filled++;
        }
        return best;
    }
}
