package dev.actlab.quant;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Llama decoder being quantized: its weights as mutable float32 arrays (whatever type they were
 * stored in), and, per projection, what happens to the input at run time ({@link LinearInput}).
 * Recipe steps transform it in place: exact rewrites (rotations, smoothing scales folded into a
 * norm) and quantization (weights replaced by their fake-quantized values, activation quantizers
 * set). {@link #build} turns it into a runnable {@link LlamaModel}; the forward pass is untouched.
 *
 * Matrices are row-major [out, in] as in {@link LlamaWeights} (y = W x).
 */
public final class QuantModel {
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final String source;

    float[] embedding;                 // [vocab, dim]
    float[] output;                    // [vocab, dim]; the same array as embedding while tied
    final float[][] attnNorm, ffnNorm; // [layers][dim]
    float[] finalNorm;                 // [dim]
    final float[][] qBias, kBias, vBias; // [layers][...] or null
    final float[][][] weights;         // [layers][Linear][rows * cols]
    final LinearInput[][] inputs;      // [layers][Linear]
    final Quantizer[][] weightQuant;   // [layers][Linear]: the quantizer the weights were rounded with, or null
    final float[][][] floatWeights;    // [layers][Linear]: the weights just before they were first rounded, or null
    private final List<String> steps = new ArrayList<>();

    private QuantModel(LlamaConfig config, Tokenizer tokenizer, String source, int layers, boolean biases) {
        this.config = config; this.tokenizer = tokenizer; this.source = source;
        attnNorm = new float[layers][]; ffnNorm = new float[layers][];
        qBias = biases ? new float[layers][] : null; kBias = biases ? new float[layers][] : null; vBias = biases ? new float[layers][] : null;
        int nl = Linear.values().length;
        weights = new float[layers][nl][];
        inputs = new LinearInput[layers][nl];
        weightQuant = new Quantizer[layers][nl];
        floatWeights = new float[layers][nl][];
        for (LinearInput[] row : inputs) java.util.Arrays.fill(row, LinearInput.IDENTITY);
    }

    /** A float32 working copy of a decoder's weights (quantized storage types are dequantized). */
    public static QuantModel of(LlamaModel model) {
        LlamaConfig c = model.config();
        LlamaWeights w = model.weights();
        if (!c.mlp().gated()) throw new IllegalArgumentException(model.source() + " has a plain MLP (no ffn_gate): quantization runs gated MLPs only");
        QuantModel q = new QuantModel(c, model.tokenizer(), model.source(), c.layers(), w.qBias() != null);
        q.embedding = dense(w.tokenEmbedding());
        q.output = w.output() == w.tokenEmbedding() ? q.embedding : dense(w.output());
        q.finalNorm = w.finalNorm().clone();
        for (int l = 0; l < c.layers(); l++) {
            q.attnNorm[l] = w.attnNorm()[l].clone();
            q.ffnNorm[l] = w.ffnNorm()[l].clone();
            if (q.qBias != null) { q.qBias[l] = w.qBias()[l].clone(); q.kBias[l] = w.kBias()[l].clone(); q.vBias[l] = w.vBias()[l].clone(); }
            WeightMatrix[] mats = {w.wq()[l], w.wk()[l], w.wv()[l], w.wo()[l], w.wGate()[l], w.wUp()[l], w.wDown()[l]};
            for (Linear lin : Linear.values()) q.weights[l][lin.ordinal()] = dense(mats[lin.ordinal()]);
        }
        return q;
    }

    private static float[] dense(WeightMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, out, r * m.cols());
        return out;
    }

    /** A deep copy: transforming it leaves this one as it is. */
    public QuantModel copy() {
        QuantModel q = new QuantModel(config, tokenizer, source, config.layers(), qBias != null);
        q.embedding = embedding.clone();
        q.output = output == embedding ? q.embedding : output.clone();
        q.finalNorm = finalNorm.clone();
        for (int l = 0; l < config.layers(); l++) {
            q.attnNorm[l] = attnNorm[l].clone();
            q.ffnNorm[l] = ffnNorm[l].clone();
            if (qBias != null) { q.qBias[l] = qBias[l].clone(); q.kBias[l] = kBias[l].clone(); q.vBias[l] = vBias[l].clone(); }
            for (int i = 0; i < weights[l].length; i++) {
                q.weights[l][i] = weights[l][i].clone();
                q.inputs[l][i] = inputs[l][i];
                q.weightQuant[l][i] = weightQuant[l][i];
                q.floatWeights[l][i] = floatWeights[l][i] == null ? null : floatWeights[l][i].clone();
            }
        }
        q.steps.addAll(steps);
        return q;
    }

    public LlamaConfig config() { return config; }
    public Tokenizer tokenizer() { return tokenizer; }
    public String source() { return source; }
    public int layers() { return config.layers(); }

    /** The weights of one projection, [rows, cols] row-major: the live array (steps write into it). */
    public float[] weight(int layer, Linear lin) { return weights[layer][lin.ordinal()]; }

    public void setWeight(int layer, Linear lin, float[] w) {
        if (w.length != lin.rows(config) * lin.cols(config))
            throw new IllegalArgumentException(lin.nameAt(layer) + ": " + w.length + " values, needs " + lin.rows(config) + " x " + lin.cols(config));
        weights[layer][lin.ordinal()] = w;
    }

    public LinearInput input(int layer, Linear lin) { return inputs[layer][lin.ordinal()]; }
    public void setInput(int layer, Linear lin, LinearInput in) { inputs[layer][lin.ordinal()] = in; }

    /** The quantizer the weights of a projection were rounded with, or null while they are float. */
    public Quantizer weightQuantizer(int layer, Linear lin) { return weightQuant[layer][lin.ordinal()]; }

    /**
     * Replaces a projection's weights by their rounded values, remembering the quantizer and, the first
     * time, the float weights they replace (for the weight / activation error split).
     */
    public void setQuantizedWeight(int layer, Linear lin, float[] rounded, Quantizer q) {
        int i = lin.ordinal();
        if (floatWeights[layer][i] == null) floatWeights[layer][i] = weights[layer][i];
        setWeight(layer, lin, rounded);
        weightQuant[layer][i] = q;
    }

    /** The weights before they were first rounded, or the current weights while they are float. */
    public float[] floatWeight(int layer, Linear lin) {
        float[] f = floatWeights[layer][lin.ordinal()];
        return f != null ? f : weights[layer][lin.ordinal()];
    }

    /** Puts back the float weights of one projection (forgetting its rounding). */
    public void restoreFloatWeight(int layer, Linear lin) {
        int i = lin.ordinal();
        if (floatWeights[layer][i] == null) return;
        weights[layer][i] = floatWeights[layer][i];
        floatWeights[layer][i] = null;
        weightQuant[layer][i] = null;
    }

    /** The norm whose weight multiplies the input of a normed projection (attention norm for q, k, v; MLP norm for gate, up). */
    public float[] normBefore(int layer, Linear lin) {
        if (!lin.normed()) throw new IllegalArgumentException(lin + " reads no norm");
        return lin.inputSite == dev.actlab.model.hook.HookSite.LN1_NORMALIZED ? attnNorm[layer] : ffnNorm[layer];
    }

    public float[] attnNorm(int layer) { return attnNorm[layer]; }
    public float[] ffnNorm(int layer) { return ffnNorm[layer]; }
    public float[] finalNorm() { return finalNorm; }
    public float[] embedding() { return embedding; }
    /** The unembedding [vocab, dim]; the embedding array itself while tied. */
    public float[] output() { return output; }
    public boolean tied() { return output == embedding; }
    /** Gives the unembedding its own array (before a transform that changes one and not the other). */
    public void untie() { if (output == embedding) output = embedding.clone(); }
    public float[] vBias(int layer) { return vBias == null ? null : vBias[layer]; }
    public boolean hasBiases() { return qBias != null; }

    /** Records a step of the recipe (for reports). */
    public void log(String step) { steps.add(step); }
    public List<String> steps() { return Collections.unmodifiableList(steps); }

    /**
     * A runnable decoder: float32 weights, each projection's input transform attached. It shares this model's arrays (no copy): transform a {@link #copy} to keep it as it is.
     */
    public LlamaModel build() {
        int L = config.layers(), dim = config.dim(), vocab = config.vocabSize();
        WeightMatrix emb = F32Matrix.of(embedding, vocab, dim);
        WeightMatrix out = tied() ? emb : F32Matrix.of(output, vocab, dim);
        WeightMatrix[][] m = new WeightMatrix[Linear.values().length][L];
        for (int l = 0; l < L; l++)
            for (Linear lin : Linear.values()) {
                int i = lin.ordinal();
                F32Matrix f = F32Matrix.of(weights[l][i], lin.rows(config), lin.cols(config));
                m[i][l] = inputs[l][i].isIdentity() ? f : new QuantizedLinear(f, inputs[l][i]);
            }
        LlamaWeights w = new LlamaWeights(emb, attnNorm.clone(), m[Linear.Q.ordinal()], m[Linear.K.ordinal()], m[Linear.V.ordinal()],
                m[Linear.O.ordinal()], qBias, kBias, vBias, ffnNorm.clone(), m[Linear.GATE.ordinal()], m[Linear.DOWN.ordinal()],
                m[Linear.UP.ordinal()], finalNorm, out);
        String label = steps.isEmpty() ? source : source + " [" + String.join(" + ", steps) + "]";
        return new LlamaModel(config, w, tokenizer, label);
    }
}
