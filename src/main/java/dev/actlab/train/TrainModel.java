package dev.actlab.train;

import dev.actlab.model.hook.HookSite;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.llama.MlpActivation;
import dev.actlab.model.llama.MlpSpec;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import dev.actlab.tensor.ZeroCount;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import dev.actlab.train.StepProfile.Phase;

/**
 * A trainable Llama decoder (tied embeddings, adjacent-pair RoPE, no biases): parameters in flat
 * float arrays with the shapes of model/llama/LlamaWeights, a forward pass that saves what the
 * backward pass needs, and the backward pass itself, op by op in reverse.
 * Shapes: B sequences of T positions, N = B * T rows, C = dim, H = hidden.
 */
public final class TrainModel {
    /** The tensors of one block, shaped as in LlamaWeights (wGate null for a plain MLP). */
    public record Layer(Param attnNorm, Param wq, Param wk, Param wv, Param wo,
                        Param ffnNorm, Param wGate, Param wUp, Param wDown) {}

    private final LlamaConfig c;
    private final Param embedding;      // [V, C], also the unembedding (tied)
    private final Layer[] layers;
    private final Param finalNorm;      // [C]
    private final List<Param> params = new ArrayList<>();
    private Parallel par = Parallel.shared();
    private Activations a;              // sized for the last (B, T)
    private QatSettings qat;            // null: no fake quantization
    private boolean compressActivations;   // keep the large saved tensors in 8 bits between forward and backward
    private final java.util.Map<Param, float[]> quantized = new java.util.IdentityHashMap<>();   // fake-quantized block weights of the last forward
    private float actL1;                // weight of the L1 penalty on the MLP activations (0: none)
    private double actL1Penalty;        // its value in the last forward pass
    private double[] mlpZeros;          // [L]: fraction of exact zeros in h in the last forward pass
    private StepProfile profile;        // null: no timing of the phases
    private boolean probsReady;         // a.probs holds the last forward's probabilities (backward turns them into dLogits in place)

    public TrainModel(LlamaConfig config) {
        if (!config.tiedEmbeddings()) throw new IllegalArgumentException("training supports tied embeddings only");
        if (config.ropeHalfSplit() || config.ropeScaling() != null)
            throw new IllegalArgumentException("training supports adjacent-pair RoPE without scaling only");
        this.c = config;
        int C = c.dim(), H = c.hiddenDim();
        embedding = add(Param.of("token_embd.weight", true, c.vocabSize(), C));
        layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            layers[l] = new Layer(
                    add(Param.of(p + "attn_norm.weight", false, C)),
                    add(Param.of(p + "attn_q.weight", true, c.qDim(), C)),
                    add(Param.of(p + "attn_k.weight", true, c.kvDim(), C)),
                    add(Param.of(p + "attn_v.weight", true, c.kvDim(), C)),
                    add(Param.of(p + "attn_output.weight", true, C, c.qDim())),
                    add(Param.of(p + "ffn_norm.weight", false, C)),
                    c.mlp().gated() ? add(Param.of(p + "ffn_gate.weight", true, H, C)) : null,
                    add(Param.of(p + "ffn_up.weight", true, H, C)),
                    add(Param.of(p + "ffn_down.weight", true, C, H)));
        }
        finalNorm = add(Param.of("output_norm.weight", false, C));
    }

    private Param add(Param p) { params.add(p); return p; }

    public LlamaConfig config() { return c; }
    public List<Param> params() { return params; }
    public Param embedding() { return embedding; }
    public Layer layer(int l) { return layers[l]; }
    public Param finalNorm() { return finalNorm; }
    public TrainModel withParallel(Parallel p) { this.par = p; return this; }

    /** Charges forward's and backward's phases to p from now on (null: off); see StepProfile. */
    public TrainModel withProfile(StepProfile p) { this.profile = p; return this; }

    private void phase(Phase p) { if (profile != null) profile.enter(p); }

    /**
     * An L1 penalty on the MLP activations h (blocks.L.mlp.hook_post, the input of the down
     * projection) from the next backward pass on: lambda * sum over layers of mean |h| over tokens
     * and hidden units, as ProSparse regularizes (Song et al. 2024). Only its gradient is added;
     * forward's loss stays the cross-entropy, comparable across runs. 0: off.
     */
    /** The L1 penalty's value, lambda * sum over layers of mean |h|, in the last forward pass (0 when off). */
    public double actL1Penalty() { return actL1Penalty; }

    /** Per layer, the fraction of the MLP activations h that were exactly 0 in the last forward pass. */
    public double[] mlpZeroFractions() { return mlpZeros == null ? new double[c.layers()] : mlpZeros.clone(); }

    public TrainModel withActL1(float lambda) {
        if (!(lambda >= 0 && Float.isFinite(lambda))) throw new IllegalArgumentException("activation L1 weight " + lambda + " is not a finite number >= 0");
        this.actL1 = lambda;
        return this;
    }

    /**
     * Fake-quantizes the blocks' linear layers from the next forward pass on (null: off). The
     * params keep the full-precision master weights the optimizer updates.
     */
    public TrainModel withQat(QatSettings q) { this.qat = q; quantized.clear(); return this; }
    public QatSettings qat() { return qat; }

    /**
     * Activation-compressed training: the matmul inputs saved for the weight gradients (ln1, z,
     * ln2, h), SwiGLU's inputs (gate, up) and the attention probabilities are stored as 8-bit
     * codes with a scale per group of {@link #COMPRESSION_GROUP} values along their last dimension
     * (CompressedActivation) and dequantized in backward. The forward pass computes with the
     * full-precision values, so the loss is unchanged; only the gradients see the rounding.
     */
    public TrainModel withActivationCompression(boolean on) {
        if (on != compressActivations) a = null;   // the buffers are laid out differently
        compressActivations = on;
        return this;
    }

    public static final int COMPRESSION_GROUP = 32;

    /**
     * Bytes per token of what a forward pass over [B, T] leaves for the backward pass: every
     * tensor backward reads (residuals, norm statistics, q/k/v, attention probabilities, the
     * matmul and SwiGLU inputs, the final norm's output, the softmax probabilities, token ids),
     * FP32 or compressed as actually held. Scratch buffers (gradients, per-layer reuse) are not
     * counted.
     */
    public double savedActivationBytesPerToken(int B, int T) {
        return activations(B, T).savedBytes() / (double) (B * T);
    }

    /**
     * The weight a block's matmul uses: the master weight, or under QAT its fake-quantized copy
     * (made by forwardToLogits, kept for backward). Straight-through: backward computes dW for
     * the copy and adds it to the master's grad unchanged.
     */
    private float[] weight(Param p) {
        if (qat == null || qat.weightFormat() == null) return p.value();
        return quantized.get(p);
    }

    /**
     * Under QAT, fake-quantizes a matmul input [N, cols] in place. The buffers this is applied to
     * (ln1, z, ln2, h) are read by nothing but their matmuls, forward and backward (the norms'
     * and attention's and SwiGLU's backward passes read their own inputs), so the matmul
     * backward sees the quantized x it multiplied, and the gradient it returns for x passes
     * straight through to the unquantized op that produced x.
     */
    private void quantizeInput(MatmulInput input, float[] x, int n, int cols) {
        if (qat != null && qat.quantizes(input)) FakeQuant.forward(x, x, n, cols, qat.activationFormat(), qat.group(), par);
    }

    private void quantizeWeights() {
        if (qat == null || qat.weightFormat() == null) return;
        for (Layer w : layers)
            for (Param p : new Param[]{w.wq, w.wk, w.wv, w.wo, w.wGate, w.wUp, w.wDown}) {
                if (p == null) continue;   // a plain MLP's gate
                float[] q = quantized.computeIfAbsent(p, k -> new float[k.size()]);
                FakeQuant.forward(q, p.value(), p.shape()[0], p.shape()[1], qat.weightFormat(), qat.group(), par);
            }
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : params) n += p.size();
        return n;
    }

    /**
     * GPT-2 style initialization from a seed: matrices N(0, 0.02), the two projections back into
     * the residual stream (attn_output, ffn_down) scaled by 1/sqrt(2 layers), norm gains 1.
     */
    public void initialize(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double resid = 0.02 / Math.sqrt(2.0 * c.layers());
        for (Param p : params) {
            if (!p.decay()) { Arrays.fill(p.value(), 1f); continue; }
            double std = p.name().endsWith("attn_output.weight") || p.name().endsWith("ffn_down.weight") ? resid : 0.02;
            float[] v = p.value();
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        }
    }

    /** Copies the weights of an F32 (or any dequantizable) Llama model; its config must fit this one. */
    public static TrainModel from(LlamaModel m) { return from(m, m.config().mlp()); }

    /**
     * The weights of m under another MLP activation or top-k (ReLUfication: a SwiGLU model's gate
     * given ReLU, then trained on). Gated stays gated and plain stays plain: the matrices are the same.
     */
    public static TrainModel from(LlamaModel m, MlpSpec mlp) {
        if (mlp.gated() != m.config().mlp().gated())
            throw new IllegalArgumentException(m.source() + " has a " + m.config().mlp().kind() + " MLP; it cannot become " + mlp.kind());
        TrainModel t = new TrainModel(m.config().withMlp(mlp));
        LlamaWeights w = m.weights();
        copy(w.tokenEmbedding(), t.embedding);
        for (int l = 0; l < t.layers.length; l++) {
            Layer L = t.layers[l];
            System.arraycopy(w.attnNorm()[l], 0, L.attnNorm.value(), 0, L.attnNorm.size());
            copy(w.wq()[l], L.wq); copy(w.wk()[l], L.wk); copy(w.wv()[l], L.wv); copy(w.wo()[l], L.wo);
            System.arraycopy(w.ffnNorm()[l], 0, L.ffnNorm.value(), 0, L.ffnNorm.size());
            if (L.wGate != null) copy(w.wGate()[l], L.wGate);
            copy(w.wUp()[l], L.wUp); copy(w.wDown()[l], L.wDown);
        }
        System.arraycopy(w.finalNorm(), 0, t.finalNorm.value(), 0, t.finalNorm.size());
        return t;
    }

    private static void copy(WeightMatrix m, Param p) {
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, p.value(), r * m.cols());
    }

    /** An inference model over copies of the current weights (F32, tied output). */
    public LlamaModel toLlamaModel(String source) {
        int L = c.layers();
        WeightMatrix embed = matrix(embedding);
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L];
        WeightMatrix[] wg = new WeightMatrix[L], wd = new WeightMatrix[L], wu = new WeightMatrix[L];
        for (int l = 0; l < L; l++) {
            Layer y = layers[l];
            attnNorm[l] = y.attnNorm.value().clone(); ffnNorm[l] = y.ffnNorm.value().clone();
            wq[l] = matrix(y.wq); wk[l] = matrix(y.wk); wv[l] = matrix(y.wv); wo[l] = matrix(y.wo);
            wg[l] = y.wGate == null ? null : matrix(y.wGate); wd[l] = matrix(y.wDown); wu[l] = matrix(y.wUp);
        }
        LlamaWeights w = new LlamaWeights(embed, attnNorm, wq, wk, wv, wo, null, null, null, ffnNorm, wg, wd, wu,
                finalNorm.value().clone(), embed);
        return new LlamaModel(c, w, null, source);
    }

    private static WeightMatrix matrix(Param p) { return F32Matrix.of(p.value().clone(), p.shape()[0], p.shape()[1]); }

    /** Buffers saved by the forward pass for the backward pass, plus backward scratch. */
    private static final class Activations {
        final int B, T, N;
        final RotaryEmbedding rope;
        final CausalAttention attention;
        final int[] tokens, targets;
        final float[][] resid;                 // [L + 1][N, C]: input of each block, then the final residual
        final float[][] ln1, ln2, mid;         // [L][N, C]; mid = resid after attention
        final float[][] rstd1, rstd2;          // [L][N]
        final float[][] q, k, v, z;            // [L][N, qDim | kvDim]; q, k after RoPE
        final float[][] att;                   // [L][B, heads, T, T]
        final float[][] gate, up, h;           // [L][N, H] (gate [L][0] for a plain MLP)
        final byte[][] keep;                   // [L][N, H]: 1 where top-k kept h, or null without top-k
        final float[] lnf, rstdf;              // [N, C], [N]
        final float[] logits, probs, losses;   // [N, V], [N, V] (the same array: the softmax overwrites the logits), [N]
        final float[] branch;                  // [N, C] scratch: a sub-block's output
        final CompressedActivation[] ln1C, zC, ln2C, gateC, upC, hC, attC;   // [L] each, or null without compression
        // backward scratch
        final float[] dResid, dNorm, dz, dq, dk, dv, dGate, dUp, dh, dLogits;

        Activations(LlamaConfig c, int B, int T, boolean compress) {
            this.B = B; this.T = T; this.N = B * T;
            int L = c.layers(), C = c.dim(), H = c.hiddenDim(), Q = c.qDim(), K = c.kvDim(), V = c.vocabSize();
            rope = new RotaryEmbedding(T, c.headSize(), c.ropeTheta());
            attention = new CausalAttention(B, T, c.heads(), c.kvHeads(), c.headSize());
            tokens = new int[N]; targets = new int[N];
            resid = new float[L + 1][N * C];
            mid = new float[L][N * C];
            rstd1 = new float[L][N]; rstd2 = new float[L][N];
            q = new float[L][N * Q]; k = new float[L][N * K]; v = new float[L][N * K];
            // compressed: the FP32 buffers are one scratch per tensor shared by all layers,
            // filled by the forward op and refilled from the 8-bit copy in backward
            ln1 = perLayer(L, N * C, compress); ln2 = perLayer(L, N * C, compress); z = perLayer(L, N * Q, compress);
            att = perLayer(L, attention.attSize(), compress);
            int G = c.mlp().gated() ? N * H : 0;
            keep = c.mlp().topK() > 0 ? new byte[L][N * H] : null;
            gate = perLayer(L, G, compress); up = perLayer(L, N * H, compress); h = perLayer(L, N * H, compress);
            int g = COMPRESSION_GROUP;
            ln1C = compress ? stores(L, N, C, g) : null; ln2C = compress ? stores(L, N, C, g) : null;
            zC = compress ? stores(L, N, Q, g) : null;
            gateC = compress && G > 0 ? stores(L, N, H, g) : null; upC = compress ? stores(L, N, H, g) : null; hC = compress ? stores(L, N, H, g) : null;
            attC = compress ? stores(L, B * c.heads() * T, T, g) : null;   // rows of probabilities over key positions
            lnf = new float[N * C]; rstdf = new float[N];
            // one [N, V] array in turn holds the logits, the probabilities (cross-entropy's forward, in
            // place) and dLogits (its backward, in place): the vocabulary-wide passes stream one array, not three
            logits = new float[N * V]; probs = logits; dLogits = logits; losses = new float[N];
            branch = new float[N * C];
            dResid = new float[N * C]; dNorm = new float[N * C];
            dz = new float[N * Q]; dq = new float[N * Q]; dk = new float[N * K]; dv = new float[N * K];
            dGate = new float[G]; dUp = new float[N * H]; dh = new float[N * H];
        }

        private static float[][] perLayer(int L, int size, boolean shared) {
            float[][] a = new float[L][];
            float[] scratch = shared ? new float[size] : null;
            for (int l = 0; l < L; l++) a[l] = shared ? scratch : new float[size];
            return a;
        }

        private static CompressedActivation[] stores(int L, int rows, int cols, int group) {
            CompressedActivation[] s = new CompressedActivation[L];
            for (int l = 0; l < L; l++) s[l] = new CompressedActivation(rows, cols, group);
            return s;
        }

        /** Bytes held from forward to backward (see savedActivationBytesPerToken). */
        long savedBytes() {
            long b = 4L * (tokens.length + targets.length + lnf.length + rstdf.length + probs.length);
            if (keep != null) for (byte[] x : keep) b += x.length;
            for (float[][] t : new float[][][]{resid, mid, rstd1, rstd2, q, k, v}) for (float[] x : t) b += 4L * x.length;
            if (ln1C == null) {
                for (float[][] t : new float[][][]{ln1, ln2, z, att, gate, up, h}) for (float[] x : t) b += 4L * x.length;
            } else {
                for (CompressedActivation[] t : new CompressedActivation[][]{ln1C, ln2C, zC, attC, gateC, upC, hC})
                    if (t != null) for (CompressedActivation x : t) b += x.bytes();
            }
            return b;
        }
    }

    private Activations activations(int B, int T) {
        if (T > c.contextLength()) throw new IllegalArgumentException("sequence length " + T + " exceeds the context length " + c.contextLength());
        if (a == null || a.B != B || a.T != T) a = new Activations(c, B, T, compressActivations);
        return a;
    }

    /**
     * Forward pass over tokens [B, T] (each row a sequence starting at position 0); returns
     * logits [B * T, V]. The array is reused by the next call.
     */
    public float[] logits(int[] tokens, int B, int T) {
        forwardToLogits(tokens, B, T);
        return a.logits;
    }

    /** Forward pass and mean cross-entropy against targets [B, T]; saves what backward needs. */
    public float forward(int[] tokens, int[] targets, int B, int T) {
        forwardToLogits(tokens, B, T);
        for (int t : targets) checkToken(t);
        System.arraycopy(targets, 0, a.targets, 0, a.N);
        phase(Phase.CROSS_ENTROPY);
        float loss = CrossEntropy.forward(a.probs, a.losses, a.logits, a.targets, a.N, c.vocabSize(), par);
        probsReady = true;
        phase(Phase.OTHER);
        return loss;
    }

    private void checkToken(int t) {
        if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
    }

    private void forwardToLogits(int[] tokens, int B, int T) {
        if (tokens.length != B * T) throw new IllegalArgumentException(tokens.length + " tokens is not B * T = " + B + " * " + T);
        for (int t : tokens) checkToken(t);
        probsReady = false;
        Activations a = activations(B, T);
        int N = a.N, C = c.dim(), H = c.hiddenDim(), Q = c.qDim(), K = c.kvDim(), V = c.vocabSize();
        float eps = c.normEps();
        System.arraycopy(tokens, 0, a.tokens, 0, N);
        quantizeWeights();
        actL1Penalty = 0;
        if (mlpZeros == null) mlpZeros = new double[layers.length];

        phase(Phase.EMBEDDING);
        Embedding.forward(a.resid[0], a.tokens, embedding.value(), N, C);
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            float[] x = a.resid[l];
            // attention: mid = x + wo(attn(rope(wq ln1), rope(wk ln1), wv ln1)); ln1 of a later block
            // was made with the residual add that ended the block before it
            phase(Phase.NORM);
            if (l == 0) RmsNorm.forward(a.ln1[l], a.rstd1[l], x, w.attnNorm.value(), N, C, eps, par);
            phase(Phase.OTHER);
            quantizeInput(MatmulInput.ATTN_QKV, a.ln1[l], N, C);
            phase(Phase.MATMUL_FORWARD);
            Matmul.forward(a.q[l], a.ln1[l], weight(w.wq), N, C, Q, par);
            Matmul.forward(a.k[l], a.ln1[l], weight(w.wk), N, C, K, par);
            Matmul.forward(a.v[l], a.ln1[l], weight(w.wv), N, C, K, par);
            phase(Phase.OTHER);
            save(a.ln1C, l, a.ln1[l]);
            phase(Phase.ROPE);
            a.rope.forward(a.q[l], N, c.heads(), par);
            a.rope.forward(a.k[l], N, c.kvHeads(), par);
            a.attention.forward(a.z[l], a.att[l], a.q[l], a.k[l], a.v[l], par, profile);
            phase(Phase.OTHER);
            save(a.attC, l, a.att[l]);
            quantizeInput(MatmulInput.ATTN_OUTPUT, a.z[l], N, Q);
            phase(Phase.MATMUL_FORWARD);
            Matmul.forward(a.branch, a.z[l], weight(w.wo), N, Q, C, par);
            phase(Phase.OTHER);
            save(a.zC, l, a.z[l]);
            // MLP: resid[l+1] = mid + down(h), h = silu(gate ln2) * up ln2 (Llama), or see mlpForward
            phase(Phase.NORM);
            RmsNorm.forwardAfterResidual(a.ln2[l], a.rstd2[l], a.mid[l], x, a.branch, w.ffnNorm.value(), N, C, eps, par);
            phase(Phase.OTHER);
            quantizeInput(MatmulInput.FFN_GATE_UP, a.ln2[l], N, C);
            phase(Phase.MATMUL_FORWARD);
            if (w.wGate != null) Matmul.forward(a.gate[l], a.ln2[l], weight(w.wGate), N, C, H, par);
            Matmul.forward(a.up[l], a.ln2[l], weight(w.wUp), N, C, H, par);
            phase(Phase.SWIGLU);
            mlpZeros[l] = mlpForward(l, N * H) / (double) (N * H);
            phase(Phase.OTHER);
            if (actL1 > 0) actL1Penalty += actL1 * meanAbs(a.h[l], N * H);
            if (w.wGate != null) save(a.gateC, l, a.gate[l]);
            save(a.upC, l, a.up[l]); save(a.ln2C, l, a.ln2[l]);
            quantizeInput(MatmulInput.FFN_DOWN, a.h[l], N, H);
            phase(Phase.MATMUL_FORWARD);
            Matmul.forward(a.branch, a.h[l], weight(w.wDown), N, H, C, par);
            phase(Phase.OTHER);
            save(a.hC, l, a.h[l]);
            // resid[l+1] = mid + branch, normalized at once by the next block's attention norm (or the final norm)
            phase(Phase.NORM);
            if (l + 1 < layers.length)
                RmsNorm.forwardAfterResidual(a.ln1[l + 1], a.rstd1[l + 1], a.resid[l + 1], a.mid[l], a.branch, layers[l + 1].attnNorm.value(), N, C, eps, par);
            else RmsNorm.forwardAfterResidual(a.lnf, a.rstdf, a.resid[l + 1], a.mid[l], a.branch, finalNorm.value(), N, C, eps, par);
        }
        if (layers.length == 0) { phase(Phase.NORM); RmsNorm.forward(a.lnf, a.rstdf, a.resid[0], finalNorm.value(), N, C, eps, par); }
        phase(Phase.MATMUL_FORWARD);
        Matmul.forward(a.logits, a.lnf, embedding.value(), N, C, V, par);   // tied unembedding
        phase(Phase.OTHER);
    }

    /**
     * Adds dLoss * d(mean loss)/d(param) of the last forward call to every parameter's grad.
     * Grads accumulate across calls (gradient accumulation); zero them with {@link #zeroGrad}.
     */
    public void backward(float dLoss) {
        if (a == null || !probsReady) throw new IllegalStateException("backward needs a forward with targets first (one backward per forward)");
        probsReady = false;
        phase(Phase.CROSS_ENTROPY);
        CrossEntropy.backwardInto(a.dLogits, a.probs, a.targets, a.N, c.vocabSize(), dLoss, par);
        backwardFromLogits(null, true, dLoss * actL1 / ((float) a.N * c.hiddenDim()));
    }

    /**
     * h [N, H] of layer l from gate and up: Llama's SwiGLU through its kernel; otherwise
     * act(gate) * up (gated) or act(up) (plain), then top-k per row (keep records the mask).
     * Returns how many entries of h are exactly zero.
     */
    private long mlpForward(int l, int len) {
        MlpSpec m = c.mlp();
        float[] h = a.h[l], gate = a.gate[l], up = a.up[l];
        if (m.llamaDefault()) return SwiGlu.forwardCountingZeros(h, gate, up, len, par);
        MlpActivation act = m.activation();
        if (m.gated()) par.forRange(len, 4096, (from, to) -> { for (int i = from; i < to; i++) h[i] = act.apply(gate[i]) * up[i]; });
        else par.forRange(len, 4096, (from, to) -> { for (int i = from; i < to; i++) h[i] = act.apply(up[i]); });
        if (m.topK() > 0) {
            int H = c.hiddenDim();
            byte[] keep = a.keep[l];
            par.forRange(a.N, 1, (from, to) -> { for (int t = from; t < to; t++) MlpSpec.topK(h, t * H, H, m.topK(), keep); });
        }
        return zeros(h, len);
    }

    /** The exact zeros among x[0, len), counted across the threads. */
    private long zeros(float[] x, int len) {
        java.util.concurrent.atomic.AtomicLong n = new java.util.concurrent.atomic.AtomicLong();
        par.forRange(len, 4096, (from, to) -> n.addAndGet(ZeroCount.count(x, from, to)));
        return n.get();
    }

    private static double meanAbs(float[] x, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += Math.abs(x[i]);
        return s / len;
    }

    /**
     * dGate, dUp from dh (d loss / d h, changed here) for layer l: the L1 penalty's gradient
     * l1 * sign(h) is added, top-k passes dh straight through its kept entries only, then the
     * activation's derivative.
     */
    private void mlpBackward(int l, int len, float l1) {
        MlpSpec m = c.mlp();
        float[] dh = a.dh, h = a.h[l], gate = a.gate[l], up = a.up[l], dGate = a.dGate, dUp = a.dUp;
        if (l1 != 0) par.forRange(len, 4096, (from, to) -> { for (int i = from; i < to; i++) dh[i] += l1 * Math.signum(h[i]); });
        if (m.topK() > 0) {
            byte[] keep = a.keep[l];
            par.forRange(len, 4096, (from, to) -> { for (int i = from; i < to; i++) if (keep[i] == 0) dh[i] = 0; });
        }
        if (m.llamaDefault()) { SwiGlu.backwardInto(dGate, dUp, dh, gate, up, len, par); return; }   // overwrites: not cleared first
        MlpActivation act = m.activation();
        if (m.gated()) par.forRange(len, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                dGate[i] += dh[i] * up[i] * act.derivative(gate[i]);
                dUp[i] += dh[i] * act.apply(gate[i]);
            }
        });
        else par.forRange(len, 4096, (from, to) -> { for (int i = from; i < to; i++) dUp[i] += dh[i] * act.derivative(up[i]); });
    }

    /** Receives d f / d activation at a hook site during {@link #siteGradients}. */
    @FunctionalInterface
    public interface GradientSink {
        /** grad [N, width] is backward's own buffer, laid out as the site's activation: copy what you keep. */
        void accept(HookSite site, int layer, float[] grad);
    }

    /**
     * Gradients of a scalar function f of the logits with respect to the activations at the hook
     * sites, for one sequence: forward over tokens [T], dLogits = df/dlogits [T, V] from the
     * given function of the logits [T, V], then backward. Returns site name -> gradient laid out
     * as that site's activation ([T, width]), for the sites the filter accepts among hook_embed,
     * blocks.L.hook_resid_pre / hook_resid_mid / hook_resid_post / hook_attn_out / hook_mlp_out,
     * attn.hook_q / hook_k / hook_v / hook_rot_q / hook_rot_k / hook_z and mlp.hook_pre /
     * hook_pre_linear / hook_post. With QAT or compression on, these are the gradients of the model
     * as it runs with them. No parameter gradient is computed: the params' grads are left as they were.
     */
    public java.util.Map<String, float[]> siteGradients(int[] tokens, java.util.function.UnaryOperator<float[]> dLogitsOf,
                                                        java.util.function.Predicate<String> filter) {
        int T = tokens.length, V = c.vocabSize();
        float[] logits = logits(tokens, 1, T);
        float[] d = dLogitsOf.apply(logits);
        if (d.length != T * V) throw new IllegalArgumentException("dLogits has " + d.length + " values, expected T * V = " + T + " * " + V);
        System.arraycopy(d, 0, a.dLogits, 0, T * V);
        java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
        backwardFromLogits((site, layer, grad) -> {
            String name = site.nameAt(layer);
            if (filter.test(name)) out.put(name, grad.clone());
        }, false, 0);
        return out;
    }

    /**
     * Backward from a.dLogits; sink (may be null) sees d / d activation at the sites as backward
     * reaches them; parameter grads are accumulated only when weightGrads; l1 is the activation
     * L1 penalty's gradient per unit of sign(h) (0: none).
     */
    private void backwardFromLogits(GradientSink sink, boolean weightGrads, float l1) {
        int N = a.N, C = c.dim(), H = c.hiddenDim(), Q = c.qDim(), K = c.kvDim(), V = c.vocabSize();
        float[] dx = a.dResid;                    // d loss / d residual stream [N, C], walked backwards
        matmulBackward(a.dNorm, true, grad(embedding, weightGrads), a.dLogits, a.lnf, embedding.value(), N, C, V);
        phase(Phase.CLEAR);
        Arrays.fill(dx, 0);
        phase(Phase.NORM);
        RmsNorm.backward(dx, grad(finalNorm, weightGrads), a.dNorm, a.resid[layers.length], finalNorm.value(), a.rstdf, N, C, par);
        phase(Phase.OTHER);

        for (int l = layers.length - 1; l >= 0; l--) {
            Layer w = layers[l];
            report(sink, HookSite.RESID_POST, l, dx);
            report(sink, HookSite.MLP_OUT, l, dx);
            // resid[l+1] = mid + mlp: both receive dx (Residual.backward), so dx carries on as d mid
            restore(a.hC, l, a.h[l]);
            matmulBackward(a.dh, true, grad(w.wDown, weightGrads), dx, a.h[l], weight(w.wDown), N, H, C);
            report(sink, HookSite.MLP_POST, l, a.dh);
            if (!c.mlp().llamaDefault()) {   // SwiGLU's backward overwrites dGate and dUp; the others add into them
                phase(Phase.CLEAR);
                zero(a.dGate); zero(a.dUp);
                phase(Phase.OTHER);
            }
            if (w.wGate != null) restore(a.gateC, l, a.gate[l]);
            restore(a.upC, l, a.up[l]);
            phase(Phase.SWIGLU);
            mlpBackward(l, N * H, l1);
            phase(Phase.OTHER);
            if (w.wGate != null) {
                report(sink, HookSite.MLP_PRE, l, a.dGate);
                report(sink, HookSite.MLP_PRE_LINEAR, l, a.dUp);
            } else {
                report(sink, HookSite.MLP_PRE, l, a.dUp);   // a plain MLP's pre-activation is up ln2
            }
            restore(a.ln2C, l, a.ln2[l]);
            if (w.wGate != null) matmulBackward(a.dNorm, true, grad(w.wGate, weightGrads), a.dGate, a.ln2[l], weight(w.wGate), N, C, H);
            matmulBackward(a.dNorm, w.wGate == null, grad(w.wUp, weightGrads), a.dUp, a.ln2[l], weight(w.wUp), N, C, H);
            phase(Phase.NORM);
            RmsNorm.backward(dx, grad(w.ffnNorm, weightGrads), a.dNorm, a.mid[l], w.ffnNorm.value(), a.rstd2[l], N, C, par);
            phase(Phase.OTHER);
            report(sink, HookSite.RESID_MID, l, dx);
            report(sink, HookSite.ATTN_OUT, l, dx);
            // mid = resid[l] + attention: dx carries on as d resid[l]
            restore(a.zC, l, a.z[l]);
            matmulBackward(a.dz, true, grad(w.wo, weightGrads), dx, a.z[l], weight(w.wo), N, Q, C);
            report(sink, HookSite.ATTN_Z, l, a.dz);
            phase(Phase.CLEAR);
            zero(a.dq); zero(a.dk); zero(a.dv);
            phase(Phase.OTHER);
            restore(a.attC, l, a.att[l]);
            a.attention.backward(a.dq, a.dk, a.dv, a.dz, a.q[l], a.k[l], a.v[l], a.att[l], par, profile);
            phase(Phase.OTHER);
            report(sink, HookSite.ATTN_ROT_Q, l, a.dq);
            report(sink, HookSite.ATTN_ROT_K, l, a.dk);
            report(sink, HookSite.ATTN_V, l, a.dv);
            phase(Phase.ROPE);
            a.rope.backward(a.dq, N, c.heads(), par);
            a.rope.backward(a.dk, N, c.kvHeads(), par);
            phase(Phase.OTHER);
            report(sink, HookSite.ATTN_Q, l, a.dq);
            report(sink, HookSite.ATTN_K, l, a.dk);
            restore(a.ln1C, l, a.ln1[l]);
            matmulBackward(a.dNorm, true, grad(w.wq, weightGrads), a.dq, a.ln1[l], weight(w.wq), N, C, Q);
            matmulBackward(a.dNorm, false, grad(w.wk, weightGrads), a.dk, a.ln1[l], weight(w.wk), N, C, K);
            matmulBackward(a.dNorm, false, grad(w.wv, weightGrads), a.dv, a.ln1[l], weight(w.wv), N, C, K);
            phase(Phase.NORM);
            RmsNorm.backward(dx, grad(w.attnNorm, weightGrads), a.dNorm, a.resid[l], w.attnNorm.value(), a.rstd1[l], N, C, par);
            phase(Phase.OTHER);
            report(sink, HookSite.RESID_PRE, l, dx);
        }
        report(sink, HookSite.EMBED, 0, dx);
        phase(Phase.EMBEDDING);
        if (weightGrads) Embedding.backward(embedding.grad(), dx, a.tokens, N, C);
        phase(Phase.OTHER);
    }

    /**
     * Matmul.backward, its two products charged to their own phases (dx first, then dW, as
     * Matmul.backward does them); dxInto: dx = dy W overwrites dx (the first product into a
     * gradient buffer: no clearing pass), else dx += dy W.
     */
    private void matmulBackward(float[] dx, boolean dxInto, float[] dw, float[] dy, float[] x, float[] w, int n, int in, int out) {
        phase(Phase.MATMUL_DX);
        if (dxInto) Matmul.backwardDxInto(dx, dy, w, n, in, out, par);
        else Matmul.backward(dx, null, dy, x, w, n, in, out, par);
        phase(Phase.MATMUL_DW);
        if (dw != null) Matmul.backward(null, dw, dy, x, w, n, in, out, par);
        phase(Phase.OTHER);
    }

    /** p's grad, or null (skip it) when no weight gradients are wanted. */
    private static float[] grad(Param p, boolean weightGrads) { return weightGrads ? p.grad() : null; }

    private static void report(GradientSink sink, HookSite site, int layer, float[] grad) {
        if (sink != null) sink.accept(site, layer, grad);
    }

    /** With compression: keeps layer l's copy of x in 8 bits (the FP32 buffer is reused by the next layer). */
    private void save(CompressedActivation[] store, int l, float[] x) {
        if (store != null) store[l].store(x, par);
    }

    /** With compression: refills the shared FP32 buffer from layer l's 8-bit copy. */
    private void restore(CompressedActivation[] store, int l, float[] x) {
        if (store != null) store[l].load(x, par);
    }

    public void zeroGrad() {
        phase(Phase.CLEAR);
        for (Param p : params) zero(p.grad());
        phase(Phase.OTHER);
    }

    private static void zero(float[] v) { Arrays.fill(v, 0); }

    /**
     * Forward-pass floating-point operations per token at sequence length T: 2 per weight of
     * every matmul (unembedding included) plus 4 * T/2 * qDim per layer for causal attention
     * (scores and mixing, on average half the positions). A training step costs about 3x this.
     */
    public double forwardFlopsPerToken(int T) {
        long matmulWeights = (long) c.vocabSize() * c.dim();
        for (Layer l : layers) matmulWeights += l.wq.size() + l.wk.size() + l.wv.size() + l.wo.size() + (l.wGate == null ? 0 : l.wGate.size()) + l.wUp.size() + l.wDown.size();
        return 2.0 * matmulWeights + c.layers() * 4.0 * (T + 1) / 2.0 * c.qDim();
    }
}
