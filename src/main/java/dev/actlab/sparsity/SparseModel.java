package dev.actlab.sparsity;

import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder whose block matrices read sparsified inputs: the same config, tokenizer, norms and
 * unembedding, each of wq/wk/wv/wo/wGate/wUp/wDown wrapped in a {@link SparseInputMatrix} with its
 * site's threshold. The forward pass is untouched. With input-major copies (for fast decode) the
 * extra memory is {@link #extraBytes()}: 4 bytes per block weight for F32, 2 for F16, 1.0625 for Q8_0,
 * 0.625 for Q4_0. Other formats (BF16, K-quants) get no copy: they run the dense kernel on the zeroed
 * input (no speedup). CATS replaces gate/up/down by a {@link CatsMlp}. R-Sparse (rsparse) wraps each sparse
 * matrix once more in a {@link RankAwareMatrix}: its skipped inputs go through a low-rank part of the weights.
 */
public final class SparseModel {
    private final LlamaModel model;
    private final Thresholds thresholds;
    private final SkipCounter[][] counters;   // [layer][SiteKind.ordinal()]
    private final long extraBytes;
    private final double[][] lowRankBytes;   // rsparse: [layer][SiteKind.ordinal()] weights its low-rank parts read, in the matrices' bytes per weight

    private SparseModel(LlamaModel model, Thresholds thresholds, SkipCounter[][] counters, long extraBytes, double[][] lowRankBytes) {
        this.model = model; this.thresholds = thresholds; this.counters = counters; this.extraBytes = extraBytes; this.lowRankBytes = lowRankBytes;
    }

    /** Wraps base's block matrices; inputMajor builds the copies that make decode skip columns. */
    public static SparseModel of(LlamaModel base, Thresholds th, boolean inputMajor) {
        int layers = base.config().layers();
        th.requireLayers(layers, base.source());
        LlamaWeights w = base.weights();
        if (!base.config().mlp().gated()) throw new IllegalArgumentException(base.source() + " has a plain MLP (no ffn_gate): activation sparsity runs gated MLPs only");
        SkipCounter[][] counters = new SkipCounter[layers][SiteKind.values().length];
        WeightMatrix[] wq = new WeightMatrix[layers], wk = new WeightMatrix[layers], wv = new WeightMatrix[layers], wo = new WeightMatrix[layers];
        WeightMatrix[] gate = new WeightMatrix[layers], up = new WeightMatrix[layers], down = new WeightMatrix[layers];
        long[] extra = {0};
        boolean rsparse = th.method().equals("rsparse");
        double[][] lowRank = new double[layers][SiteKind.values().length];
        float[][][] sc = th.method().equals("wina") || rsparse ? WinaScales.of(w) : new float[layers][SiteKind.values().length][];
        for (int l = 0; l < layers; l++) {
            for (SiteKind k : SiteKind.values()) counters[l][k.ordinal()] = new SkipCounter();
            Criterion qkv = Criterion.of(th, l, SiteKind.ATTN_QKV, sc), o = Criterion.of(th, l, SiteKind.ATTN_OUTPUT, sc);
            Criterion gu = Criterion.of(th, l, SiteKind.FFN_GATE_UP, sc), dn = Criterion.of(th, l, SiteKind.FFN_DOWN, sc);
            boolean hasQkv = th.site(l, SiteKind.ATTN_QKV) != null, hasO = th.site(l, SiteKind.ATTN_OUTPUT) != null;   // a site absent from the file stays the plain matrix
            StackedColumns qkvCols = hasQkv ? stacked(inputMajor, qkv, w.wq()[l], w.wk()[l], w.wv()[l]) : null;
            wq[l] = hasQkv ? wrap(w.wq()[l], qkv, counters[l][SiteKind.ATTN_QKV.ordinal()], inputMajor, qkvCols, 0, extra) : w.wq()[l];
            wk[l] = hasQkv ? wrap(w.wk()[l], qkv, null, inputMajor, qkvCols, 1, extra) : w.wk()[l];
            wv[l] = hasQkv ? wrap(w.wv()[l], qkv, null, inputMajor, qkvCols, 2, extra) : w.wv()[l];
            wo[l] = hasO ? wrap(w.wo()[l], o, counters[l][SiteKind.ATTN_OUTPUT.ordinal()], inputMajor, null, 0, extra) : w.wo()[l];
            if (th.method().equals("cats")) {
                SparseInputMatrix.ColumnKernel cols = inputMajor && dn.active() ? SparseInputMatrix.ColumnKernel.build(w.wDown()[l]) : null;
                if (cols != null) extra[0] += cols.byteSize();
                CatsMlp mlp = new CatsMlp(w.wGate()[l], w.wUp()[l], w.wDown()[l], cols, dn.threshold, counters[l][SiteKind.FFN_DOWN.ordinal()]);
                gate[l] = mlp.gate; up[l] = mlp.up; down[l] = mlp.down;
                continue;
            }
            StackedColumns guCols = stacked(inputMajor, gu, w.wGate()[l], w.wUp()[l]);
            gate[l] = wrap(w.wGate()[l], gu, counters[l][SiteKind.FFN_GATE_UP.ordinal()], inputMajor, guCols, 0, extra);
            up[l] = wrap(w.wUp()[l], gu, null, inputMajor, guCols, 1, extra);
            down[l] = wrap(w.wDown()[l], dn, counters[l][SiteKind.FFN_DOWN.ordinal()], inputMajor, null, 0, extra);
            if (rsparse) {
                wq[l] = rankAware(wq[l], th, l, SiteKind.ATTN_QKV, lowRank); wk[l] = rankAware(wk[l], th, l, SiteKind.ATTN_QKV, lowRank);
                wv[l] = rankAware(wv[l], th, l, SiteKind.ATTN_QKV, lowRank); wo[l] = rankAware(wo[l], th, l, SiteKind.ATTN_OUTPUT, lowRank);
                gate[l] = rankAware(gate[l], th, l, SiteKind.FFN_GATE_UP, lowRank); up[l] = rankAware(up[l], th, l, SiteKind.FFN_GATE_UP, lowRank);
                down[l] = rankAware(down[l], th, l, SiteKind.FFN_DOWN, lowRank);
            }
        }
        LlamaWeights sw = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), wq, wk, wv, wo, w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), gate, down, up, w.finalNorm(), w.output());
        LlamaModel m = new LlamaModel(base.config(), sw, base.tokenizer(), base.source()).withParallel(base.parallel());
        m.withInnerHooks(sparsifiers(sw));
        return new SparseModel(m, th, counters, extra[0], lowRank);
    }

    /**
     * R-Sparse: the sparse matrix plus the rank-r part of its weights for the skipped inputs, r from the file's
     * weight budget and the site's activation sparsity; adds the weights that part reads to lowRank.
     */
    private static WeightMatrix rankAware(WeightMatrix m, Thresholds th, int l, SiteKind k, double[][] lowRank) {
        Thresholds.Site site = th.site(l, k);
        if (site == null || !(m instanceof SparseInputMatrix sparse)) return m;
        WeightMatrix dense = sparse.dense();
        int rank = RankAware.rank(th.target(), site.target(), dense.rows(), dense.cols());
        LowRankPart part = LowRankPart.of(dense, rank);
        lowRank[l][k.ordinal()] += part.weights() * (double) dense.byteSize() / ((double) dense.rows() * dense.cols());
        return new RankAwareMatrix(sparse, part);
    }

    /**
     * Hooks that zero, in place, the inputs each wrapped matrix will skip, at the site where the forward pass
     * exposes that input: {@code ln1.hook_normalized} (judged times attn_norm, the product q/k/v read),
     * {@code attn.hook_z}, {@code ln2.hook_normalized} (times ffn_norm), {@code mlp.hook_post}. They fire before
     * any caller's hook, so a hook there sees the sparsified activation. The matrices still apply their own rule
     * (the zeros pass it unchanged), so their counts and kernels are as before.
     */
    private static Hooks sparsifiers(LlamaWeights w) {
        Hooks h = new Hooks();
        for (int l = 0; l < w.wq().length; l++) {
            sparsifier(h, HookSite.LN1_NORMALIZED.nameAt(l), w.wq()[l], w.attnNorm()[l]);
            sparsifier(h, HookSite.ATTN_Z.nameAt(l), w.wo()[l], null);
            sparsifier(h, HookSite.LN2_NORMALIZED.nameAt(l), w.wGate()[l], w.ffnNorm()[l]);
            sparsifier(h, HookSite.MLP_POST.nameAt(l), w.wDown()[l], null);
        }
        return h;
    }

    private static void sparsifier(Hooks h, String site, WeightMatrix m, float[] mul) {
        // CATS's wrappers, R-Sparse's (its skipped inputs still reach the low-rank part: nothing is zeroed), or a site absent from the file
        if (!(m instanceof SparseInputMatrix s) || !s.active()) return;
        h.add(site, a -> s.zeroSkipped(a.data, a.offset, a.size() / s.cols(), mul));
    }

    /** One site's rule: a threshold, with WINA's column norms or CHESS's per-channel thresholds. */
    private record Criterion(float threshold, float[] scale, float[] channels) {
        static Criterion of(Thresholds th, int l, SiteKind k, float[][][] scales) {
            Thresholds.Site s = th.site(l, k);
            if (s == null) return new Criterion(0f, null, null);
            return new Criterion(s.threshold(), scales[l][k.ordinal()], s.channels());
        }

        /** Whether any input can be skipped. */
        boolean active() { return threshold > 0; }
    }

    /**
     * Benchmarks (`-Dactlab.stackedColumns=off`): false gives q, k, v and gate, up each its own input-major
     * copy instead of one {@link StackedColumns} per group.
     */
    static final boolean STACKED = !"off".equals(System.getProperty("actlab.stackedColumns"));

    /** One input-major copy of matrices that read the same input under one criterion, or null (then each gets its own). */
    private static StackedColumns stacked(boolean inputMajor, Criterion c, WeightMatrix... ms) {
        return STACKED && inputMajor && c.active() ? StackedColumns.of(ms) : null;
    }

    /** m with its site's criterion; its column kernel is view i of stacked, else its own copy (inputMajor). */
    private static WeightMatrix wrap(WeightMatrix m, Criterion c, SkipCounter counter, boolean inputMajor, StackedColumns stacked, int i, long[] extra) {
        SparseInputMatrix.ColumnKernel cols = stacked != null ? stacked.view(i)
                : inputMajor && c.active() ? SparseInputMatrix.ColumnKernel.build(m) : null;
        if (cols != null) extra[0] += cols.byteSize();
        return new SparseInputMatrix(m, cols, c.threshold, c.channels == null ? c.scale : null, c.channels, counter);
    }

    public LlamaModel model() { return model; }
    public Thresholds thresholds() { return thresholds; }
    /** Bytes of the input-major copies (0 without them). */
    public long extraBytes() { return extraBytes; }

    public SkipCounter counter(int layer, SiteKind kind) { return counters[layer][kind.ordinal()]; }

    public void resetCounters() { for (SkipCounter[] row : counters) for (SkipCounter c : row) c.reset(); }

    /**
     * Fraction of all block-matrix weights skipped so far: each site's measured sparsity weighted by the weights it
     * reads; for rsparse less the weights of the low-rank parts (counted at the matrices' bytes per weight).
     */
    public double weightSparsity() {
        LlamaWeights w = model.weights();
        double skipped = 0, total = 0;
        for (int l = 0; l < counters.length; l++) {
            boolean cats = thresholds.method().equals("cats");   // its ffn_down site skips the rows of up and the columns of down
            double[] bytes = {
                    w.wq()[l].byteSize() + w.wk()[l].byteSize() + w.wv()[l].byteSize(), w.wo()[l].byteSize(),
                    w.wGate()[l].byteSize() + (cats ? 0 : w.wUp()[l].byteSize()), w.wDown()[l].byteSize() + (cats ? w.wUp()[l].byteSize() : 0)};
            for (SiteKind k : SiteKind.values()) {
                double s = counters[l][k.ordinal()].sparsity();
                total += bytes[k.ordinal()];
                if (!Double.isNaN(s)) skipped += s * bytes[k.ordinal()] - lowRankBytes[l][k.ordinal()];
            }
        }
        return total == 0 ? 0 : skipped / total;
    }

    /**
     * Per site of the thresholds file: name, threshold, target, calibrated and measured sparsity (fraction of
     * inputs skipped; for cats, of the gate entries whose up row and down column were skipped).
     */
    public List<Map<String, Object>> measured() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Thresholds.Site s : thresholds.sites()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("threshold", s.threshold());
            m.put("target_sparsity", Double.isNaN(s.target()) ? thresholds.target() : s.target());
            m.put("calibrated_sparsity", Double.isNaN(s.calibratedSparsity()) ? null : s.calibratedSparsity());
            SkipCounter c = counters[s.layer()][s.kind().ordinal()];
            m.put("measured_sparsity", Double.isNaN(c.sparsity()) ? null : c.sparsity());
            m.put("inputs_seen", c.seen());
            out.add(m);
        }
        return out;
    }

    /** Mean measured sparsity over the sites of the thresholds file that saw inputs. */
    public double meanMeasured() {
        double sum = 0; int n = 0;
        for (Thresholds.Site s : thresholds.sites()) {
            SkipCounter c = counters[s.layer()][s.kind().ordinal()];
            if (c.seen() > 0) { sum += c.sparsity(); n++; }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
