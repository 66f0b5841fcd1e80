package dev.actlab.model.llama;

import static dev.actlab.model.hook.HookSite.*;

import dev.actlab.model.hook.HookedDecoder;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.NonFiniteException;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.MathExpLanes;
import dev.actlab.tensor.MatmulGroup;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.TiledGroup;
import dev.actlab.tensor.WeightMatrix;
import java.util.EnumSet;

/**
 * A Llama-family decoder: the forward pass, top to bottom, with a hook at every site.
 * Shapes in comments: n = positions in this call, T = positions attended to (cache + n).
 */
public final class LlamaModel implements HookedDecoder {
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Tokenizer tokenizer;   // may be null (e.g. llama2.c checkpoints)
    private final String source;
    private final SiteTable sites;
    private final float[] ropeFreq;      // [head_size / 2]
    private Parallel par = Parallel.shared();
    private Hook[] inner;                // hooks of the model itself, bound to sites; fire before the caller's (may be null)
    private boolean f16Cache;            // keys and values rounded to float16 as they enter the cache

    public LlamaModel(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, String source) {
        weights.validate(config, source);
        this.c = config; this.w = weights; this.tokenizer = tokenizer; this.source = source;
        EnumSet<HookSite> s = EnumSet.allOf(HookSite.class);
        s.removeAll(EnumSet.of(POS_EMBED, TOKEN_TYPE_EMBED, EMBED_LN_SCALE, EMBED_LN_NORMALIZED));
        this.sites = new SiteTable(config.layers(), s);
        this.ropeFreq = Rope.frequencies(config);
    }

    public LlamaConfig config() { return c; }
    public LlamaWeights weights() { return w; }
    @Override public Tokenizer tokenizer() { return tokenizer; }
    @Override public String source() { return source; }
    @Override public String architecture() { return c.architecture(); }
    @Override public int layers() { return c.layers(); }
    @Override public int dModel() { return c.dim(); }
    @Override public int contextLength() { return c.contextLength(); }
    @Override public int vocabSize() { return c.vocabSize(); }
    @Override public SiteTable sites() { return sites; }
    @Override public void run(int[] tokens, Hooks hooks) { forward(newCache(), tokens, hooks, false); }
    public Parallel parallel() { return par; }
    public LlamaModel withParallel(Parallel p) { this.par = p; return this; }

    /**
     * Hooks that belong to the model and fire on every forward call at their sites, before any caller's
     * hook there: a transformation such as activation sparsity that zeroes a matmul input in place, so that
     * what a caller's hook sees at that site is what the matmul reads.
     */
    public LlamaModel withInnerHooks(Hooks h) { this.inner = h.isEmpty() ? null : h.bind(sites); return this; }

    /** Keys and values rounded to float16 as they enter the cache, as in llama.cpp's default F16 cache. */
    public LlamaModel withF16KvCache() { this.f16Cache = true; return this; }

    public KvCache newCache() { return new KvCache(c, f16Cache); }

    @Override
    public float[] runWithHooks(int[] tokens, Hooks hooks) {
        return forward(newCache(), tokens, hooks, true);
    }

    @Override
    public float[] lastLogits(int[] tokens, Hooks hooks) {
        return forward(newCache(), tokens, hooks, false);
    }

    @Override
    public float[] unembed(float[] resid, int n) {
        float[] normed = new float[n * c.dim()];
        rmsnorm(new Hook[sites.size()], LN_FINAL_SCALE, LN_FINAL_NORMALIZED, 0, normed, resid, w.finalNorm(), n, 0);
        float[] logits = new float[n * c.vocabSize()];
        w.output().matmul(normed, n, logits, par);
        return logits;
    }

    /**
     * Processes tokens at the cache's next positions and appends their keys and values.
     * Returns logits [n, vocab] when allLogits, else the last position's [vocab].
     */
    public float[] forward(KvCache cache, int[] tokens, Hooks hooks, boolean allLogits) {
        final int n = tokens.length, dim = c.dim(), hidden = c.hiddenDim(), qDim = c.qDim(), kvDim = c.kvDim();
        if (n == 0) throw new IllegalArgumentException("no tokens to run");
        for (int t = 0; t < n; t++)
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize())
                throw new IllegalArgumentException("token id " + tokens[t] + " at index " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
        cache.reserve(n);
        final int start = cache.length(), T = start + n;
        final Hook[] hk = withInner(hooks.bind(sites));

        float[] x = new float[n * dim];                 // residual stream [n, dim]
        float[] xb = new float[n * dim];                // normalized input of a sub-block [n, dim]
        float[] q = new float[n * qDim];                // [n, heads, head_size]
        float[] k = new float[n * kvDim];               // [n, kv_heads, head_size]
        float[] v = new float[n * kvDim];
        float[] z = new float[n * qDim];                // attention output per head [n, heads, head_size]
        float[] attnOut = new float[n * dim];           // [n, dim]
        float[] gate = new float[n * hidden];           // [n, hidden]
        float[] up = new float[n * hidden];             // [n, hidden]
        float[] mlpOut = new float[n * dim];            // [n, dim]

        for (int t = 0; t < n; t++) w.tokenEmbedding().dequantizeRow(tokens[t], x, t * dim);
        final float[][] ropeTable = n >= PREFILL_MIN && KernelChoice.prefillRopeNorm ? Rope.table(n, start, ropeFreq) : null;
        // decode: the cos/sin of this position once per forward pass, not once per q and k and layer (same values)
        final float[][] decodeRope = ropeTable == null ? Rope.table(n, start, ropeFreq) : null;
        final boolean llamaMlp = c.mlp().llamaDefault();   // once, not twice a layer (a record comparison)
        fire(hk, EMBED, 0, x, start, n, dim);

        for (int l = 0; l < c.layers(); l++) {
            fire(hk, RESID_PRE, l, x, start, n, dim);

            // attention
            rmsnorm(hk, LN1_SCALE, LN1_NORMALIZED, l, xb, x, w.attnNorm()[l], n, start);
            if (n < 4 && KernelChoice.fusedDecode && MatmulGroup.fusable(w.wq()[l], w.wk()[l], w.wv()[l])) MatmulGroup.run(new WeightMatrix[]{w.wq()[l], w.wk()[l], w.wv()[l]}, xb, n, new float[][]{q, k, v}, par);
            else if (!(n >= PREFILL_MIN && PrefillChoice.groupedMatmuls
                    && TiledGroup.multiply(new WeightMatrix[]{w.wq()[l], w.wk()[l], w.wv()[l]}, xb, n, new float[][]{q, k, v}, par))) {
                w.wq()[l].matmul(xb, n, q, par); w.wk()[l].matmul(xb, n, k, par); w.wv()[l].matmul(xb, n, v, par);
            }
            if (w.qBias() != null) { addBias(q, w.qBias()[l], n); addBias(k, w.kBias()[l], n); addBias(v, w.vBias()[l], n); }
            fire(hk, ATTN_Q, l, q, start, n, c.heads(), c.headSize());
            fire(hk, ATTN_K, l, k, start, n, c.kvHeads(), c.headSize());
            fire(hk, ATTN_V, l, v, start, n, c.kvHeads(), c.headSize());
            if (ropeTable != null) {   // prefill: the cos/sin table of this forward pass
                Rope.rotate(q, n, c.heads(), c.headSize(), ropeTable, c.ropeHalfSplit());
                Rope.rotate(k, n, c.kvHeads(), c.headSize(), ropeTable, c.ropeHalfSplit());
            } else {
                Rope.rotate(q, n, c.heads(), c.headSize(), decodeRope, c.ropeHalfSplit());
                Rope.rotate(k, n, c.kvHeads(), c.headSize(), decodeRope, c.ropeHalfSplit());
            }
            fire(hk, ATTN_ROT_Q, l, q, start, n, c.heads(), c.headSize());
            fire(hk, ATTN_ROT_K, l, k, start, n, c.kvHeads(), c.headSize());
            cache.store(l, start, k, v, n);
            if (n >= PREFILL_MIN && !hooked(hk, ATTN_SCORES, l) && !hooked(hk, ATTN_PATTERN, l)) PrefillAttention.causal(c, q, cache.keys[l], cache.values[l], z, n, start, par);
            else Attention.causal(c, q, cache.keys[l], cache.values[l], z, n, start, l, sites, hk, par);
            fire(hk, ATTN_Z, l, z, start, n, c.heads(), c.headSize());
            w.wo()[l].matmul(z, n, attnOut, par);
            fire(hk, ATTN_OUT, l, attnOut, start, n, dim);
            add(x, attnOut);
            fire(hk, RESID_MID, l, x, start, n, dim);

            // gated MLP: down(silu(gate x) * up x); other MLPs (config.mlp) in mlpHidden
            rmsnorm(hk, LN2_SCALE, LN2_NORMALIZED, l, xb, x, w.ffnNorm()[l], n, start);
            if (llamaMlp && n < 4 && KernelChoice.fusedMlp && !hooked(hk, MLP_PRE, l) && !hooked(hk, MLP_PRE_LINEAR, l)
                    && MatmulGroup.fusable(w.wGate()[l], w.wUp()[l])) {
                // decode, nothing listening between the matmuls and the product: gate, up and SiLU in one parallel region
                MatmulGroup.runPaired(w.wGate()[l], w.wUp()[l], xb, n, gate, up, par, (from, to) -> {
                    for (int t = 0; t < n; t++) siluTimes(gate, up, t * hidden + from, t * hidden + to);
                });
            } else if (llamaMlp) {
                if (!(n >= PREFILL_MIN && PrefillChoice.groupedMatmuls
                        && TiledGroup.multiply(new WeightMatrix[]{w.wGate()[l], w.wUp()[l]}, xb, n, new float[][]{gate, up}, par))) {
                    w.wGate()[l].matmul(xb, n, gate, par);
                    w.wUp()[l].matmul(xb, n, up, par);
                }
                fire(hk, MLP_PRE, l, gate, start, n, hidden);
                fire(hk, MLP_PRE_LINEAR, l, up, start, n, hidden);
                if (n >= PREFILL_MIN && PrefillChoice.lanesExp) par.forRange(n * hidden, 512, (from, to) -> MathExpLanes.siluTimes(gate, up, from, to));   // same bits
                else par.forRange(n * hidden, 512, (from, to) -> siluTimes(gate, up, from, to));   // exp is the cost: spread it over the threads
            } else {
                mlpHidden(hk, l, xb, gate, up, n, start);
            }
            fire(hk, MLP_POST, l, gate, start, n, hidden);
            w.wDown()[l].matmul(gate, n, mlpOut, par);
            fire(hk, MLP_OUT, l, mlpOut, start, n, dim);
            add(x, mlpOut);
            fire(hk, RESID_POST, l, x, start, n, dim);
        }
        cache.advance(n);

        // final norm and unembedding, for every position or only the last
        int rows = allLogits ? n : 1;
        float[] last = x;
        int lastStart = start;
        if (!allLogits) {
            last = new float[dim];
            System.arraycopy(x, (n - 1) * dim, last, 0, dim);
            lastStart = start + n - 1;
        }
        float[] normed = new float[rows * dim];
        rmsnorm(hk, LN_FINAL_SCALE, LN_FINAL_NORMALIZED, 0, normed, last, w.finalNorm(), rows, lastStart);
        float[] logits = new float[rows * c.vocabSize()];
        w.output().matmul(normed, rows, logits, par);
        requireFinite(logits, rows, lastStart, tokens, allLogits ? 0 : n - 1);
        return logits;
    }

    /**
     * The hidden activation h [n, hidden] of an MLP other than Llama's, into h (gate's buffer):
     * gated, h = act(gate xb) * up xb (hook_pre sees gate xb, hook_pre_linear up xb); plain,
     * h = act(up xb) (hook_pre sees up xb); then, with top-k, all but each row's K largest |h| zeroed.
     */
    private void mlpHidden(Hook[] hk, int l, float[] xb, float[] h, float[] up, int n, int start) {
        final int hidden = c.hiddenDim();
        MlpSpec m = c.mlp();
        MlpActivation act = m.activation();
        if (m.gated()) {
            w.wGate()[l].matmul(xb, n, h, par);
            w.wUp()[l].matmul(xb, n, up, par);
            fire(hk, MLP_PRE, l, h, start, n, hidden);
            fire(hk, MLP_PRE_LINEAR, l, up, start, n, hidden);
            par.forRange(n * hidden, 512, (from, to) -> {
                for (int i = from; i < to; i++) h[i] = act.apply(h[i]) * up[i];
            });
        } else {
            w.wUp()[l].matmul(xb, n, h, par);
            fire(hk, MLP_PRE, l, h, start, n, hidden);
            par.forRange(n * hidden, 512, (from, to) -> {
                for (int i = from; i < to; i++) h[i] = act.apply(h[i]);
            });
        }
        if (m.topK() > 0) par.forRange(n, 1, (from, to) -> {
            for (int t = from; t < to; t++) MlpSpec.topK(h, t * hidden, hidden, m.topK(), null);
        });
    }

    /**
     * Logits holding NaN or an infinity would be sampled, scored or printed as if they were numbers
     * (greedy decoding then emits token 0 forever): stop, naming the position. One pass over
     * rows x vocab floats, nothing next to the unembedding matmul.
     */
    private void requireFinite(float[] logits, int rows, int firstPos, int[] tokens, int firstToken) {
        int V = c.vocabSize();
        for (int i = 0; i < rows * V; i++) {
            if (Float.isFinite(logits[i])) continue;
            int r = i / V, bad = 0;
            for (int j = r * V; j < (r + 1) * V; j++) if (!Float.isFinite(logits[j])) bad++;
            throw new NonFiniteException(source, "logits", firstPos + r, "after token " + tokens[firstToken + r] + ", logit " + (i % V)
                    + " is " + NonFiniteException.describe(logits[i]) + " (" + bad + " of " + V + " logits are not finite): a weight or"
                    + " hyperparameter of the model is NaN or infinite, or a hook wrote one (FiniteCheck.everywhere names the first site)");
        }
    }

    /**
     * RMSNorm over rows: out = x / scale * weight with scale = sqrt(mean(x^2) + eps);
     * hook_scale sees scale [n, 1], hook_normalized sees x / scale [n, dim].
     */
    private void rmsnorm(Hook[] hk, HookSite scaleSite, HookSite normSite, int layer,
                         float[] out, float[] x, float[] weight, int n, int start) {
        if (n >= PREFILL_MIN && KernelChoice.prefillRopeNorm && !hooked(hk, scaleSite, layer) && !hooked(hk, normSite, layer)) { rmsnormPrefill(out, x, weight, n); return; }
        int dim = c.dim();
        float[] scale = new float[n];
        for (int t = 0; t < n; t++) {
            float ss = 0;
            for (int i = 0; i < dim; i++) { float e = x[t * dim + i]; ss += e * e; }
            scale[t] = (float) Math.sqrt(ss / dim + c.normEps());
        }
        fire(hk, scaleSite, layer, scale, start, n, 1);
        for (int t = 0; t < n; t++) {
            float inv = 1f / scale[t];
            for (int i = 0; i < dim; i++) out[t * dim + i] = x[t * dim + i] * inv;
        }
        fire(hk, normSite, layer, out, start, n, dim);
        for (int t = 0; t < n; t++)
            for (int i = 0; i < dim; i++) out[t * dim + i] *= weight[i];
    }

    /** Tokens from which a forward pass takes the prefill paths (a RoPE table, RMSNorm over the threads); same bits. */
    static final int PREFILL_MIN = 16;

    /** {@link #rmsnorm} with no hook at its sites, tokens split over the threads: the same arithmetic per token. */
    private void rmsnormPrefill(float[] out, float[] x, float[] weight, int n) {
        int dim = c.dim();
        par.forRange(n, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                float ss = 0;
                for (int i = 0; i < dim; i++) { float e = x[t * dim + i]; ss += e * e; }
                float inv = 1f / (float) Math.sqrt(ss / dim + c.normEps());
                for (int i = 0; i < dim; i++) { float normalized = x[t * dim + i] * inv; out[t * dim + i] = normalized * weight[i]; }
            }
        });
    }

    /** gate[i] = silu(gate[i]) * up[i] for i in [from, to): Llama's MLP hidden activation. */
    private static void siluTimes(float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    private boolean hooked(Hook[] hk, HookSite site, int layer) {
        int id = sites.id(site, layer);
        return id >= 0 && hk[id] != null;
    }

    /** The caller's bound hooks with the model's own in front of them at each site. */
    private Hook[] withInner(Hook[] outer) {
        if (inner == null) return outer;
        for (int i = 0; i < outer.length; i++)
            if (inner[i] != null) outer[i] = outer[i] == null ? inner[i] : inner[i].andThen(outer[i]);
        return outer;
    }

    private void fire(Hook[] hk, HookSite site, int layer, float[] buf, int start, int... shape) {
        int id = sites.id(site, layer);
        if (id < 0 || hk[id] == null) return;
        hk[id].apply(new Activation(sites.name(id), buf, 0, shape, start, 0));
    }

    private static void add(float[] acc, float[] delta) {
        for (int i = 0; i < acc.length; i++) acc[i] += delta[i];
    }

    private static void addBias(float[] y, float[] bias, int n) {
        int d = bias.length;
        for (int t = 0; t < n; t++) for (int i = 0; i < d; i++) y[t * d + i] += bias[i];
    }
}
