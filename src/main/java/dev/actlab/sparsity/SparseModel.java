package dev.actlab.sparsity;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.InputMajorF32;
import dev.actlab.tensor.InputMajorQ8;
import dev.actlab.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder whose block matrices read sparsified inputs: the same config, tokenizer, norms and
 * unembedding, each of wq/wk/wv/wo/wGate/wUp/wDown wrapped in a {@link SparseInputMatrix} with its
 * site's threshold. The forward pass is untouched. With input-major copies (for fast decode) the
 * extra memory is {@link #extraBytes()}: 4 bytes per block weight for F32, 1.125 for Q8_0. Other
 * formats (F16, Q4_0, K-quants) get no copy: they run the dense kernel on the zeroed input (no speedup yet).
 */
public final class SparseModel {
    private final LlamaModel model;
    private final Thresholds thresholds;
    private final SkipCounter[][] counters;   // [layer][SiteKind.ordinal()]
    private final long extraBytes;

    private SparseModel(LlamaModel model, Thresholds thresholds, SkipCounter[][] counters, long extraBytes) {
        this.model = model; this.thresholds = thresholds; this.counters = counters; this.extraBytes = extraBytes;
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
        float[][][] sc = th.method().equals("wina") ? WinaScales.of(w) : new float[layers][SiteKind.values().length][];
        for (int l = 0; l < layers; l++) {
            for (SiteKind k : SiteKind.values()) counters[l][k.ordinal()] = new SkipCounter();
            wq[l] = wrap(w.wq()[l], th.threshold(l, SiteKind.ATTN_QKV), sc[l][SiteKind.ATTN_QKV.ordinal()], counters[l][SiteKind.ATTN_QKV.ordinal()], inputMajor, extra);
            wk[l] = wrap(w.wk()[l], th.threshold(l, SiteKind.ATTN_QKV), sc[l][SiteKind.ATTN_QKV.ordinal()], null, inputMajor, extra);
            wv[l] = wrap(w.wv()[l], th.threshold(l, SiteKind.ATTN_QKV), sc[l][SiteKind.ATTN_QKV.ordinal()], null, inputMajor, extra);
            wo[l] = wrap(w.wo()[l], th.threshold(l, SiteKind.ATTN_OUTPUT), sc[l][SiteKind.ATTN_OUTPUT.ordinal()], counters[l][SiteKind.ATTN_OUTPUT.ordinal()], inputMajor, extra);
            gate[l] = wrap(w.wGate()[l], th.threshold(l, SiteKind.FFN_GATE_UP), sc[l][SiteKind.FFN_GATE_UP.ordinal()], counters[l][SiteKind.FFN_GATE_UP.ordinal()], inputMajor, extra);
            up[l] = wrap(w.wUp()[l], th.threshold(l, SiteKind.FFN_GATE_UP), sc[l][SiteKind.FFN_GATE_UP.ordinal()], null, inputMajor, extra);
            down[l] = wrap(w.wDown()[l], th.threshold(l, SiteKind.FFN_DOWN), sc[l][SiteKind.FFN_DOWN.ordinal()], counters[l][SiteKind.FFN_DOWN.ordinal()], inputMajor, extra);
        }
        LlamaWeights sw = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), wq, wk, wv, wo, w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), gate, down, up, w.finalNorm(), w.output());
        LlamaModel m = new LlamaModel(base.config(), sw, base.tokenizer(), base.source()).withParallel(base.parallel());
        return new SparseModel(m, th, counters, extra[0]);
    }

    private static WeightMatrix wrap(WeightMatrix m, float t, float[] scale, SkipCounter counter, boolean inputMajor, long[] extra) {
        SparseInputMatrix.ColumnKernel cols = null;
        if (inputMajor && t > 0 && m.dtype() == DType.F32) cols = SparseInputMatrix.ColumnKernel.of(InputMajorF32.of(m));
        if (inputMajor && t > 0 && m.dtype() == DType.Q8_0) cols = SparseInputMatrix.ColumnKernel.of(InputMajorQ8.of(m));
        if (cols != null) extra[0] += cols.byteSize();
        return new SparseInputMatrix(m, cols, t, scale, counter);
    }

    public LlamaModel model() { return model; }
    public Thresholds thresholds() { return thresholds; }
    /** Bytes of the input-major copies (0 without them). */
    public long extraBytes() { return extraBytes; }

    public SkipCounter counter(int layer, SiteKind kind) { return counters[layer][kind.ordinal()]; }

    public void resetCounters() { for (SkipCounter[] row : counters) for (SkipCounter c : row) c.reset(); }

    /** Fraction of all block-matrix weights skipped so far: each site's measured sparsity weighted by the weights it reads. */
    public double weightSparsity() {
        LlamaWeights w = model.weights();
        double skipped = 0, total = 0;
        for (int l = 0; l < counters.length; l++) {
            double[] bytes = {
                    w.wq()[l].byteSize() + w.wk()[l].byteSize() + w.wv()[l].byteSize(), w.wo()[l].byteSize(),
                    w.wGate()[l].byteSize() + w.wUp()[l].byteSize(), w.wDown()[l].byteSize()};
            for (SiteKind k : SiteKind.values()) {
                double s = counters[l][k.ordinal()].sparsity();
                total += bytes[k.ordinal()];
                if (!Double.isNaN(s)) skipped += s * bytes[k.ordinal()];
            }
        }
        return total == 0 ? 0 : skipped / total;
    }

    /** Per site: name, threshold, calibrated and measured sparsity (fraction of inputs skipped). */
    public List<Map<String, Object>> measured() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int l = 0; l < counters.length; l++)
            for (SiteKind k : SiteKind.values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", k.siteName(l));
                m.put("threshold", thresholds.threshold(l, k));
                double cal = Double.NaN;
                for (Thresholds.Site s : thresholds.sites()) if (s.layer() == l && s.kind() == k) cal = s.calibratedSparsity();
                m.put("calibrated_sparsity", Double.isNaN(cal) ? null : cal);
                SkipCounter c = counters[l][k.ordinal()];
                m.put("measured_sparsity", Double.isNaN(c.sparsity()) ? null : c.sparsity());
                m.put("inputs_seen", c.seen());
                out.add(m);
            }
        return out;
    }

    /** Mean measured sparsity over the sites that saw inputs. */
    public double meanMeasured() {
        double s = 0; int n = 0;
        for (SkipCounter[] row : counters) for (SkipCounter c : row) if (c.seen() > 0) { s += c.sparsity(); n++; }
        return n == 0 ? Double.NaN : s / n;
    }
}
