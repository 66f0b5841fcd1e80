package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * TEAL's block-wise greedy allocation: every block gets the mean target (weighted by the weights each
 * site reads), but within a block the sites need not share it. Starting from all sites dense, the
 * step that raises one site's sparsity by {@link #STEP} is tried for each site, and the one whose
 * block output (the residual stream after the block, on calibration tokens, with only this block
 * sparsified) moves least from the dense output is taken; until the block's weighted mean reaches the
 * target (the last step is shortened to land on it). A method with one site per block (cats) has
 * nothing to choose between: its greedy allocation equals the uniform one.
 *
 * <p>Each trial runs the one block alone: a one-layer model of block l's weights whose embedding is
 * overwritten (through the embedding hook) with the dense residual stream entering block l.
 */
public final class GreedyAllocation {
    /** Sparsity added per greedy step. */
    public static final double STEP = 0.05;
    /** No site is pushed beyond this. */
    public static final double MAX_SITE = 0.95;
    /** Calibration tokens the block errors are measured on. */
    public static final int TOKENS = 128;

    private GreedyAllocation() {}

    public static Thresholds allocate(LlamaModel m, SiteDistributions d, int[] calib, double target, Progress progress) {
        if (!(target >= 0 && target < 1)) throw new IllegalArgumentException("target sparsity " + target + " must be in [0, 1)");
        if (d.method().equals("rsparse")) throw new IllegalArgumentException("greedy allocation is not implemented for rsparse (use uniform)");
        int layers = m.config().layers(), kinds = SiteKind.values().length;
        int[] tokens = Arrays.copyOf(calib, Math.min(calib.length, Math.min(TOKENS, m.config().contextLength())));
        double[][] level = new double[layers][kinds];
        float[][] in = new float[layers][], dense = new float[layers][];
        Hooks capture = new Hooks();
        for (int l = 0; l < layers; l++) {
            int layer = l;
            capture.add(HookSite.RESID_PRE.nameAt(l), a -> in[layer] = Arrays.copyOfRange(a.data, a.offset, a.offset + a.size()));
            capture.add(HookSite.RESID_POST.nameAt(l), a -> dense[layer] = Arrays.copyOfRange(a.data, a.offset, a.offset + a.size()));
        }
        m.run(tokens, capture);
        for (int l = 0; l < layers; l++) {
            double[] w = siteWeights(m.weights(), l, d);
            double total = Arrays.stream(w).sum();
            if (Arrays.stream(w).filter(x -> x > 0).count() == 1) {   // one site: nothing to choose
                for (int k = 0; k < kinds; k++) if (w[k] > 0) level[l][k] = target;
                continue;
            }
            LlamaModel block = oneBlock(m, l);
            while (mean(level[l], w, total) < target - 1e-9) {
                double need = (target - mean(level[l], w, total)) * total;
                int best = -1;
                double bestErr = Double.POSITIVE_INFINITY, bestStep = 0;
                for (int k = 0; k < kinds; k++) {
                    if (w[k] == 0 || level[l][k] >= MAX_SITE - 1e-9) continue;
                    double step = Math.min(Math.min(STEP, MAX_SITE - level[l][k]), need / w[k]);
                    level[l][k] += step;
                    double err = blockError(block, d, level[l], l, tokens, in[l], dense[l]);
                    level[l][k] -= step;
                    if (err < bestErr) { bestErr = err; best = k; bestStep = step; }
                }
                if (best < 0) break;   // every site at MAX_SITE
                level[l][best] += bestStep;
            }
            progress.update(l + 1, layers);
        }
        // only the block under test carries its levels while it is searched; the result carries all
        return d.at(level, "greedy", target);
    }

    /** Weights each site of layer l reads (0 where the method stays dense); cats' ffn_down site skips up's rows and down's columns. */
    static double[] siteWeights(LlamaWeights w, int l, SiteDistributions d) {
        double[] s = new double[SiteKind.values().length];
        s[SiteKind.ATTN_QKV.ordinal()] = size(w.wq()[l]) + size(w.wk()[l]) + size(w.wv()[l]);
        s[SiteKind.ATTN_OUTPUT.ordinal()] = size(w.wo()[l]);
        s[SiteKind.FFN_GATE_UP.ordinal()] = size(w.wGate()[l]) + size(w.wUp()[l]);
        s[SiteKind.FFN_DOWN.ordinal()] = size(w.wDown()[l]) + (d.method().equals("cats") ? size(w.wUp()[l]) : 0);
        for (SiteKind k : SiteKind.values()) if (!d.sparsifies(k)) s[k.ordinal()] = 0;
        return s;
    }

    private static double size(WeightMatrix m) { return (double) m.rows() * m.cols(); }

    static double mean(double[] level, double[] w, double total) {
        double s = 0;
        for (int k = 0; k < level.length; k++) s += level[k] * w[k];
        return total == 0 ? 0 : s / total;
    }

    /** A one-layer model of block l of m (same embedding, final norm and unembedding). */
    static LlamaModel oneBlock(LlamaModel m, int l) {
        LlamaConfig c = m.config();
        LlamaConfig one = new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), 1, c.heads(), c.kvHeads(), c.vocabSize(), c.contextLength(),
                c.normEps(), c.ropeTheta(), c.ropeHalfSplit(), c.ropeScaling(), c.tiedEmbeddings());
        LlamaWeights w = m.weights();
        LlamaWeights b = new LlamaWeights(w.tokenEmbedding(), new float[][]{w.attnNorm()[l]},
                new WeightMatrix[]{w.wq()[l]}, new WeightMatrix[]{w.wk()[l]}, new WeightMatrix[]{w.wv()[l]}, new WeightMatrix[]{w.wo()[l]},
                w.qBias() == null ? null : new float[][]{w.qBias()[l]}, w.kBias() == null ? null : new float[][]{w.kBias()[l]},
                w.vBias() == null ? null : new float[][]{w.vBias()[l]}, new float[][]{w.ffnNorm()[l]},
                new WeightMatrix[]{w.wGate()[l]}, new WeightMatrix[]{w.wDown()[l]}, new WeightMatrix[]{w.wUp()[l]}, w.finalNorm(), w.output());
        return new LlamaModel(one, b, m.tokenizer(), m.source() + " block " + l).withParallel(m.parallel());
    }

    /**
     * ||y - y_dense||^2 / ||y_dense||^2 of block l's output at the given site levels: block is {@link #oneBlock},
     * fed the dense residual stream entering block l.
     */
    static double blockError(LlamaModel block, SiteDistributions d, double[] levels, int l, int[] tokens, float[] in, float[] dense) {
        double[][] all = new double[d.layers()][SiteKind.values().length];
        all[l] = levels;
        List<Thresholds.Site> sites = new ArrayList<>();
        for (Thresholds.Site s : d.at(all, "greedy", 0).sites())
            if (s.layer() == l) sites.add(new Thresholds.Site(0, s.kind(), s.threshold(), s.calibratedSparsity(), s.target(), s.channels()));
        SparseModel s = SparseModel.of(block, new Thresholds(d.method(), "greedy", 0, 1, 0, "", sites), false);
        double[] err = new double[1];
        Hooks h = new Hooks();
        h.add(HookSite.EMBED.nameAt(0), a -> System.arraycopy(in, 0, a.data, a.offset, a.size()));
        h.add(HookSite.RESID_POST.nameAt(0), a -> {
            double num = 0, den = 0;
            for (int i = 0; i < a.size(); i++) {
                double diff = a.data[a.offset + i] - dense[i];
                num += diff * diff;
                den += (double) dense[i] * dense[i];
            }
            err[0] = den == 0 ? num : num / den;
            throw Stop.INSTANCE;   // the blocks after l do not change this error
        });
        try { s.model().run(tokens, h); } catch (Stop e) { /* block l measured */ }
        return err[0];
    }

    /** Ends a forward pass early, once the block under test has been measured. */
    private static final class Stop extends RuntimeException {
        static final Stop INSTANCE = new Stop();
        private Stop() { super("block measured", null, false, false); }
    }
}
