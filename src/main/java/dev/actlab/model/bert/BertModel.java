package dev.actlab.model.bert;

import static dev.actlab.model.hook.HookSite.*;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.model.tokenizer.WordPieceTokenizer;
import dev.actlab.tensor.F32PanelMatrix;
import dev.actlab.tensor.GeluKernel;
import dev.actlab.tensor.Int8WeightPanelMatrix;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.LayerNormKernel;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.util.EnumSet;
import java.util.List;

/**
 * A BERT encoder (post-LN): the forward pass, top to bottom, with a hook at every site named as
 * TransformerLens' HookedEncoder names them. A batch of sequences of different lengths is packed
 * row after row (N = total tokens): no padding is computed, and attention stays inside each
 * sequence. Hooks fire once per sequence, with Activation.batchIndex = b and shape [len_b, ...].
 * Note TransformerLens' placement of the post-LN norms: hook_resid_mid and hook_resid_post see the
 * residual sum before ln1 / ln2; the next block's hook_resid_pre sees the output of ln2.
 */
public final class BertModel implements HookedModel {
    private static final EnumSet<HookSite> SITES = EnumSet.of(EMBED, POS_EMBED, TOKEN_TYPE_EMBED, EMBED_LN_SCALE, EMBED_LN_NORMALIZED,
            RESID_PRE, ATTN_Q, ATTN_K, ATTN_V, ATTN_SCORES, ATTN_PATTERN, ATTN_Z, ATTN_OUT, RESID_MID, LN1_SCALE, LN1_NORMALIZED,
            MLP_PRE, MLP_POST, MLP_OUT, RESID_POST, LN2_SCALE, LN2_NORMALIZED);

    private final BertConfig c;
    private final BertWeights w;
    private final WordPieceTokenizer tokenizer;
    private final String source;
    private final SiteTable sites;
    private Parallel par = Parallel.shared();
    private final ThreadLocal<EncoderWorkspace> workspaces = new ThreadLocal<>();

    public BertModel(BertConfig config, BertWeights weights, WordPieceTokenizer tokenizer, String source) {
        weights.validate(config, source);
        this.c = config; this.w = weights; this.tokenizer = tokenizer; this.source = source;
        this.sites = new SiteTable(config.layers(), SITES);
    }

    public BertConfig config() { return c; }
    public BertWeights weights() { return w; }
    @Override public WordPieceTokenizer tokenizer() { return tokenizer; }
    @Override public String source() { return source; }
    @Override public String architecture() { return "bert"; }
    @Override public int layers() { return c.layers(); }
    @Override public int dModel() { return c.dModel(); }
    @Override public int contextLength() { return c.maxPositions(); }
    @Override public int vocabSize() { return c.vocabSize(); }
    @Override public SiteTable sites() { return sites; }
    public Parallel parallel() { return par; }
    public BertModel withParallel(Parallel p) { this.par = p; return this; }

    @Override public void run(int[] tokens, Hooks hooks) { forward(new int[][]{tokens}, null, hooks); }

    /** Sentence embeddings (mean pooled, L2-normalised) of texts, one batch. */
    public float[][] embed(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenizer.encode(texts.get(i), true);
        EncoderOutput out = forward(ids, null, Hooks.none());
        float[][] e = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) e[i] = out.meanPooledNormalized(i);
        return e;
    }

    /**
     * Encodes a batch. tokens[b] are the ids of sequence b ([CLS] ... [SEP]); typeIds[b] its segment
     * ids, or null for all zeros. Returns the last hidden states [N, d], packed.
     */
    public EncoderOutput forward(int[][] tokens, int[][] typeIds, Hooks hooks) {
        final int B = tokens.length;
        if (B == 0) throw new IllegalArgumentException("no sequences to encode");
        int[] off = new int[B], len = new int[B];
        int N = 0;
        for (int b = 0; b < B; b++) {
            int L = tokens[b].length;
            if (L == 0) throw new IllegalArgumentException("sequence " + b + " is empty (it needs at least [CLS] and [SEP])");
            if (L > c.maxPositions()) throw new IllegalArgumentException("sequence " + b + " has " + L + " tokens, the model has " + c.maxPositions() + " positions");
            if (typeIds != null && typeIds[b].length != L) throw new IllegalArgumentException("sequence " + b + ": " + typeIds[b].length + " type ids for " + L + " tokens");
            for (int t = 0; t < L; t++) {
                int id = tokens[b][t];
                if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " at " + b + ":" + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
                int tt = typeIds == null ? 0 : typeIds[b][t];
                if (tt < 0 || tt >= c.typeVocab()) throw new IllegalArgumentException("type id " + tt + " at " + b + ":" + t + " is outside [0, " + c.typeVocab() + ")");
            }
            off[b] = N; len[b] = L; N += L;
        }
        final int n = N;
        final Hook[] hk = hooks.bind(sites);

        EncoderWorkspace ws = workspace(n);
        try {
            return forward(tokens, typeIds, hk, ws, off, len, n);
        } finally {
            ws.inUse = false;
        }
    }

    /** This thread's buffers for n tokens, marked in use; fresh ones if its own are busy (a pass inside a hook) or reuse is off. */
    private EncoderWorkspace workspace(int n) {
        EncoderWorkspace ws = EncoderChoice.reuseWorkspace ? workspaces.get() : null;
        if (ws == null || ws.inUse || ws.n != n) {
            EncoderWorkspace fresh = new EncoderWorkspace(n, c.dModel(), c.dMlp());
            if (EncoderChoice.reuseWorkspace && (ws == null || !ws.inUse)) workspaces.set(fresh);
            ws = fresh;
        }
        ws.inUse = true;
        return ws;
    }

    private EncoderOutput forward(int[][] tokens, int[][] typeIds, Hook[] hk, EncoderWorkspace ws, int[] off, int[] len, int n) {
        final int B = tokens.length, d = c.dModel(), dMlp = c.dMlp(), heads = c.heads(), hs = c.headSize();
        float[] x = new float[n * d];            // residual stream [N, d]: returned, so never reused
        float[] q = ws.q;                        // [N, heads, hs]
        float[] k = ws.k;
        float[] v = ws.v;
        float[] z = ws.z;                        // attention output per head [N, heads, hs]
        float[] attnOut = ws.attnOut;            // [N, d]
        float[] mlp = ws.mlp;                    // [N, d_mlp]
        float[] mlpOut = ws.mlpOut;              // [N, d]
        float[] scale = new float[n];            // LayerNorm scales [N]

        // embeddings: word + position + token type, then LayerNorm
        float[] pos = ws.pos, type = ws.type;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < len[b]; t++) {
                int r = (off[b] + t) * d;
                System.arraycopy(w.wordEmbedding(), tokens[b][t] * d, x, r, d);
                System.arraycopy(w.positionEmbedding(), t * d, pos, r, d);
                System.arraycopy(w.typeEmbedding(), (typeIds == null ? 0 : typeIds[b][t]) * d, type, r, d);
            }
        fire(hk, EMBED, 0, x, off, len, d);
        fire(hk, POS_EMBED, 0, pos, off, len, d);
        fire(hk, TOKEN_TYPE_EMBED, 0, type, off, len, d);
        addEmbeddings(x, type, pos);   // ONNX export order: (word + type) + position
        layerNorm(hk, EMBED_LN_SCALE, EMBED_LN_NORMALIZED, 0, x, scale, w.embedNormWeight(), w.embedNormBias(), off, len);

        // W8A8: a LayerNorm followed by an int8 layer quantizes each row as it finishes (QKV of the next
        // layer, the MLP's first layer), instead of a separate pass and hand-over inside the matmul
        W8A8Input int8Input = ws.int8Input, pending = null;
        for (int l = 0; l < c.layers(); l++) {
            fire(hk, RESID_PRE, l, x, off, len, d);

            // self-attention
            if (pending != null) pending.matmul(n, new float[][]{q, k, v}, new float[][]{w.bq()[l], w.bk()[l], w.bv()[l]}, null, par);
            else qkv(l, x, n, q, k, v);
            fire(hk, ATTN_Q, l, q, off, len, heads, hs);
            fire(hk, ATTN_K, l, k, off, len, heads, hs);
            fire(hk, ATTN_V, l, v, off, len, heads, hs);
            EncoderAttention.run(q, k, v, z, off, len, heads, hs, l, sites, hk, par);
            fire(hk, ATTN_Z, l, z, off, len, heads, hs);
            linear(w.wo()[l], w.bo()[l], z, n, attnOut, null);
            fire(hk, ATTN_OUT, l, attnOut, off, len, d);
            pending = residualLayerNorm(hk, RESID_MID, LN1_SCALE, LN1_NORMALIZED, l, x, attnOut, scale, w.ln1Weight()[l], w.ln1Bias()[l], off, len,
                    int8Input.target(w.wIn()[l]));

            // MLP: out(gelu(in x))
            // GELU runs inside the matmul's tasks unless a hook must see hook_pre first: the same bits either way
            boolean preHooked = hooked(hk, MLP_PRE, l);
            if (pending != null) pending.matmul(n, new float[][]{mlp}, new float[][]{w.bIn()[l]}, preHooked ? null : GeluKernel::apply, par);
            else linear(w.wIn()[l], w.bIn()[l], x, n, mlp, preHooked ? null : GeluKernel::apply);
            if (preHooked) {
                fire(hk, MLP_PRE, l, mlp, off, len, dMlp);
                par.forRange(n, 16, (from, to) -> GeluKernel.apply(mlp, from * dMlp, to * dMlp));
            }
            fire(hk, MLP_POST, l, mlp, off, len, dMlp);
            linear(w.wOut()[l], w.bOut()[l], mlp, n, mlpOut, null);
            fire(hk, MLP_OUT, l, mlpOut, off, len, d);
            boolean nextQkv = l + 1 < c.layers() && !hooked(hk, RESID_PRE, l + 1);   // a hook there may change x after the norm
            pending = residualLayerNorm(hk, RESID_POST, LN2_SCALE, LN2_NORMALIZED, l, x, mlpOut, scale, w.ln2Weight()[l], w.ln2Bias()[l], off, len,
                    nextQkv ? int8Input.target(w.wq()[l + 1], w.wk()[l + 1], w.wv()[l + 1]) : null);
        }
        return new EncoderOutput(x, off, len, d);
    }

    // element-wise steps live in small methods: the JIT compiles them fully, while the long
    // forward method may only run as on-stack-replaced code in its first calls

    /** x = delta + x (the residual add, in the order the ONNX graph adds). */
    private static void addResidual(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) x[i] = delta[i] + x[i];
    }

    private static void addEmbeddings(float[] x, float[] type, float[] pos) {
        for (int i = 0; i < x.length; i++) x[i] = x[i] + type[i] + pos[i];
    }

    /** y [n, rows] = W x + b, then the element-wise epilogue (or null); panel weights do it all inside their tasks. */
    private void linear(WeightMatrix wm, float[] bias, float[] in, int n, float[] y, F32PanelMatrix.Epilogue epilogue) {
        if (wm instanceof F32PanelMatrix pm) { pm.matmul(in, n, y, bias, epilogue, par); return; }
        if (wm instanceof Int8WeightPanelMatrix im) { im.matmul(in, n, y, bias, epilogue, par); return; }
        wm.matmul(in, n, y, par);
        int rows = bias.length;
        if (!KernelChoice.encoderParallelBias) {
            addBias(y, bias, 0, n);
            if (epilogue != null) par.forRange(n, 16, (from, to) -> epilogue.apply(y, from * rows, to * rows));
            return;
        }
        par.forRange(n, 16, (from, to) -> {   // bias and epilogue together, on every thread
            addBias(y, bias, from, to);
            if (epilogue != null) epilogue.apply(y, from * rows, to * rows);
        });
    }

    /** q, k, v [n, d] = Wq x + bq, Wk x + bk, Wv x + bv: one parallel call when the weights are panels (float or W8A8). */
    private void qkv(int l, float[] x, int n, float[] q, float[] k, float[] v) {
        if (w.wq()[l] instanceof F32PanelMatrix pq && w.wk()[l] instanceof F32PanelMatrix pk && w.wv()[l] instanceof F32PanelMatrix pv) {
            F32PanelMatrix.matmulAll(new F32PanelMatrix[]{pq, pk, pv}, x, n, new float[][]{q, k, v},
                    new float[][]{w.bq()[l], w.bk()[l], w.bv()[l]}, null, par);
            return;
        }
        if (w.wq()[l] instanceof Int8WeightPanelMatrix iq && w.wk()[l] instanceof Int8WeightPanelMatrix ik && w.wv()[l] instanceof Int8WeightPanelMatrix iv
                && iq.sharesInputWith(ik) && iq.sharesInputWith(iv)) {   // W8A8: x quantized once for all three
            Int8WeightPanelMatrix.matmulAll(new Int8WeightPanelMatrix[]{iq, ik, iv}, x, n, new float[][]{q, k, v},
                    new float[][]{w.bq()[l], w.bk()[l], w.bv()[l]}, null, par);
            return;
        }
        linear(w.wq()[l], w.bq()[l], x, n, q, null);
        linear(w.wk()[l], w.bk()[l], x, n, k, null);
        linear(w.wv()[l], w.bv()[l], x, n, v, null);
    }

    private boolean hooked(Hook[] hk, HookSite site, int layer) {
        int id = sites.id(site, layer);
        return id >= 0 && hk[id] != null;
    }

    /** y[t] = bias + y[t] for tokens [from, to) (the order the ONNX graph adds). */
    private static void addBias(float[] y, float[] bias, int from, int to) {
        int rows = bias.length;
        for (int t = from; t < to; t++) {
            int o = t * rows;
            for (int i = 0; i < rows; i++) y[o + i] = bias[i] + y[o + i];
        }
    }

    /**
     * x = delta + x, fire the residual site, then LayerNorm in place; when no hook listens to the
     * residual or the norm's sites of this layer, all of it in one parallel pass, row by row (the same bits),
     * and then, if next (the int8 layers that read x next) is given, each row quantized for them:
     * returns next with its input ready, or null when the rows were not quantized.
     */
    private W8A8Input residualLayerNorm(Hook[] hk, HookSite residSite, HookSite scaleSite, HookSite normSite, int layer, float[] x, float[] delta,
                                        float[] scale, float[] weight, float[] bias, int[] off, int[] len, W8A8Input next) {
        if (!KernelChoice.encoderResidualLayerNorm || hooked(hk, residSite, layer) || hooked(hk, scaleSite, layer) || hooked(hk, normSite, layer)) {
            addResidual(x, delta);
            fire(hk, residSite, layer, x, off, len, c.dModel());
            layerNorm(hk, scaleSite, normSite, layer, x, scale, weight, bias, off, len);
            return null;
        }
        int d = c.dModel();
        W8A8Input q = EncoderChoice.quantizeInNorm ? next : null;
        if (q != null) q.prepare(scale.length);
        par.forRange(scale.length, 16, (from, to) -> {
            LayerNormKernel.addNormalizeAffine(x, delta, scale, weight, bias, d, c.normEps(), from, to);
            if (q != null) q.quantize(x, from, to);
        });
        return q;
    }

    /** In-place LayerNorm of x [N, d], firing hook_scale [len, 1] and hook_normalized [len, d] per sequence. */
    private void layerNorm(Hook[] hk, HookSite scaleSite, HookSite normSite, int layer, float[] x, float[] scale,
                           float[] weight, float[] bias, int[] off, int[] len) {
        int d = c.dModel(), n = scale.length;
        par.forRange(n, 16, (from, to) -> LayerNormKernel.normalize(x, scale, d, c.normEps(), from, to));
        fire(hk, scaleSite, layer, scale, off, len, 1);
        fire(hk, normSite, layer, x, off, len, d);
        par.forRange(n, 16, (from, to) -> LayerNormKernel.affine(x, weight, bias, d, from, to));
    }

    /** Fires a site once per sequence on its rows of buf; shape = [len_b, rowShape...]. */
    private void fire(Hook[] hk, HookSite site, int layer, float[] buf, int[] off, int[] len, int... rowShape) {
        int id = sites.id(site, layer);
        if (id < 0 || hk[id] == null) return;
        int width = 1;
        for (int s : rowShape) width *= s;
        for (int b = 0; b < off.length; b++) {
            int[] shape = new int[rowShape.length + 1];
            shape[0] = len[b];
            System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
            hk[id].apply(new Activation(sites.name(id), buf, off[b] * width, shape, 0, b));
        }
    }
}
