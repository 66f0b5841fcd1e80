package dev.actlab.quant;

import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.BertWeights;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.tensor.Int8PanelMatrix;
import dev.actlab.tensor.Int8WeightPanelMatrix;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * W8A8 for a BERT encoder (MiniLM): the six linear layers of every block (query, key, value,
 * attention output, MLP in, MLP out) get int8 weights (symmetric, one scale per output row, round to
 * nearest) and int8 activations quantized per token as they arrive (dynamic, symmetric). Embeddings,
 * LayerNorms, biases, attention's own products (QK^T, PV), softmax and GELU stay float32, as in ONNX
 * Runtime's dynamic quantization of the same model.
 * <p>
 * Recipe {@code smooth} adds SmoothQuant (Xiao et al. 2023): per input channel j of each layer,
 * s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) from calibration text (max|W_j| over every layer that
 * reads that input: q, k and v share one s); x is divided by s before it is quantized and W's columns
 * are multiplied by it, so the float product is unchanged while an outlier channel's range moves
 * into the weights. The division happens inside the layer's activation quantizer (one multiply per
 * element that it does anyway) instead of being folded into the preceding LayerNorm: the same
 * arithmetic for all six layers, including MLP out, whose input (GELU) has no norm to fold into.
 */
public final class EncoderW8A8 {
    /**
     * Which tensor kernel runs the int8 layers: 16-bit integer lanes; the float FMA kernel on the int8
     * panels, widened per task (the default: the weights stay int8 in memory, a quarter of float32's); or
     * the same FMA kernel on weights widened to float once at load (opt-in {@code +fma}: a little faster,
     * float32's memory, i.e. dequantized up front). All three give the same bits.
     */
    public enum Kernel { INT16, FMA, FMA8 }

    /**
     * What {@code --quant} says: {@code w8a8[:PART+PART...]} with parts {@code rtn} (no smoothing),
     * {@code smooth} or {@code smooth(ALPHA)} (SmoothQuant, alpha 0.6 by default: the best of 0.3-0.7 on the evaluation sentences), {@code int16}, {@code fma} or {@code fma8} (the kernel).
     */
    public record Spec(boolean smooth, float alpha, Kernel kernel) {
        public static final String GRAMMAR = "w8a8[:rtn|smooth|smooth(ALPHA)][+int16|+fma|+fma8]";
        public static final Spec DEFAULT = new Spec(true, 0.6f, Kernel.FMA8);

        public Spec {
            if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("smooth alpha must be in [0, 1], got " + alpha);
        }

        public static Spec parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (!t.equals("w8a8") && !t.startsWith("w8a8:"))
                throw new IllegalArgumentException("--quant " + s + ": expected " + GRAMMAR + " (only W8A8 is implemented for encoders)");
            boolean smooth = DEFAULT.smooth;
            float alpha = DEFAULT.alpha;
            Kernel kernel = DEFAULT.kernel;
            if (t.length() > 4)
                for (String part : t.substring(5).split("\\+")) {
                    if (part.equals("rtn")) smooth = false;
                    else if (part.equals("smooth")) smooth = true;
                    else if (part.startsWith("smooth(") && part.endsWith(")")) {
                        smooth = true;
                        try { alpha = Float.parseFloat(part.substring(7, part.length() - 1)); }
                        catch (NumberFormatException e) { throw new IllegalArgumentException("--quant " + s + ": alpha in " + part + " is not a number"); }
                    } else if (part.equals("int16")) kernel = Kernel.INT16;
                    else if (part.equals("fma")) kernel = Kernel.FMA;
                    else if (part.equals("fma8")) kernel = Kernel.FMA8;
                    else throw new IllegalArgumentException("--quant " + s + ": unknown part '" + part + "', expected " + GRAMMAR);
                }
            return new Spec(smooth, alpha, kernel);
        }

        public String describe() {
            return "w8a8:" + (smooth ? "smooth(" + alpha + ")" : "rtn") + "+" + kernel.name().toLowerCase(Locale.ROOT)
                    + " (int8 weights per row, int8 activations per token, dynamic" + (smooth ? ", SmoothQuant" : "") + ")";
        }
    }

    private EncoderW8A8() {}

    /** The built-in calibration sentences (32 varied English sentences; the evaluation set is another file). */
    public static List<String> calibrationText() throws IOException { return lines("encoder-calibration.txt"); }

    /** The built-in evaluation sentences (48: questions, code, numbers, French and German, exclamations). */
    public static List<String> evaluationText() throws IOException { return lines("encoder-evaluation.txt"); }

    private static List<String> lines(String name) throws IOException {
        try (InputStream in = EncoderW8A8.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("resource dev/actlab/quant/" + name + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }

    /** The model with W8A8 linear layers, calibrated (when smoothing) on the built-in sentences. */
    public static BertModel quantize(BertModel m, Spec spec) throws IOException {
        return quantize(m, spec, spec.smooth ? calibrationText() : List.of());
    }

    /** The model with W8A8 linear layers; calibration texts are read only when smoothing. */
    public static BertModel quantize(BertModel m, Spec spec, List<String> calibration) {
        BertConfig c = m.config();
        BertWeights w = m.weights();
        int L = c.layers();
        float[][][] mul = new float[L][4][];   // per layer: input multipliers (1/s) of qkv, o, in, out; null without smoothing
        if (spec.smooth) {
            if (calibration.isEmpty()) throw new IllegalArgumentException("smooth needs calibration text");
            float[][][] xmax = inputMax(m, calibration);
            for (int l = 0; l < L; l++) {
                mul[l][0] = inverseScales(spec.alpha, xmax[l][0], w.wq()[l], w.wk()[l], w.wv()[l]);
                mul[l][1] = inverseScales(spec.alpha, xmax[l][1], w.wo()[l]);
                mul[l][2] = inverseScales(spec.alpha, xmax[l][2], w.wIn()[l]);
                mul[l][3] = inverseScales(spec.alpha, xmax[l][3], w.wOut()[l]);
            }
        }
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L],
                wIn = new WeightMatrix[L], wOut = new WeightMatrix[L];
        for (int l = 0; l < L; l++) {
            wq[l] = quantize(w.wq()[l], mul[l][0], spec.kernel);
            wk[l] = quantize(w.wk()[l], mul[l][0], spec.kernel);
            wv[l] = quantize(w.wv()[l], mul[l][0], spec.kernel);
            wo[l] = quantize(w.wo()[l], mul[l][1], spec.kernel);
            wIn[l] = quantize(w.wIn()[l], mul[l][2], spec.kernel);
            wOut[l] = quantize(w.wOut()[l], mul[l][3], spec.kernel);
        }
        BertWeights q = new BertWeights(w.wordEmbedding(), w.positionEmbedding(), w.typeEmbedding(), w.embedNormWeight(), w.embedNormBias(),
                wq, wk, wv, w.bq(), w.bk(), w.bv(), wo, w.bo(), w.ln1Weight(), w.ln1Bias(), wIn, w.bIn(), wOut, w.bOut(), w.ln2Weight(), w.ln2Bias());
        return new BertModel(c, q, m.tokenizer(), m.source() + " " + spec.describe().substring(0, spec.describe().indexOf(' '))).withParallel(m.parallel());
    }

    /**
     * W * diag(1 / inputMul) quantized per row: q = rint(W' / s_r) in [-127, 127], s_r = max|W'[r, :]| / 127
     * (0 for an all-zero row). inputMul null: W itself.
     */
    static WeightMatrix quantize(WeightMatrix w, float[] inputMul, Kernel kernel) {
        int rows = w.rows(), cols = w.cols();
        byte[] q = new byte[Math.multiplyExact(rows, cols)];
        float[] scale = new float[rows], row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            float max = 0;
            for (int k = 0; k < cols; k++) {
                if (inputMul != null) row[k] = row[k] / inputMul[k];
                max = Math.max(max, Math.abs(row[k]));
            }
            if (!Float.isFinite(max)) throw new NonFiniteValueException("weight row " + r + " of a [" + rows + ", " + cols + "] matrix is not finite");
            if (max == 0) continue;
            scale[r] = max / Int8PanelMatrix.QMAX;
            float inv = Int8PanelMatrix.QMAX / max;
            for (int k = 0; k < cols; k++) q[r * cols + k] = (byte) Math.max(-Int8PanelMatrix.QMAX, Math.min(Int8PanelMatrix.QMAX, Math.rint(row[k] * inv)));
        }
        return kernel == Kernel.INT16 ? Int8PanelMatrix.of(q, scale, inputMul, rows, cols)
                : Int8WeightPanelMatrix.of(q, scale, inputMul, rows, cols, kernel == Kernel.FMA);
    }

    /** 1 / s_j with s_j = max|X_j|^alpha / max|W_j|^(1 - alpha), max|W_j| over all the readers' column j (SmoothQuant's rule, its clamps). */
    static float[] inverseScales(float alpha, float[] xmax, WeightMatrix... readers) {
        int cols = xmax.length;
        float[] wmax = new float[cols], row = new float[cols];
        for (WeightMatrix w : readers)
            for (int r = 0; r < w.rows(); r++) {
                w.dequantizeRow(r, row, 0);
                for (int k = 0; k < cols; k++) wmax[k] = Math.max(wmax[k], Math.abs(row[k]));
            }
        SmoothQuant rule = new SmoothQuant(alpha, false, false);
        float[] inv = new float[cols];
        for (int k = 0; k < cols; k++) inv[k] = 1f / rule.scale(xmax[k], wmax[k]);
        return inv;
    }

    /**
     * max|x_j| per input channel of each layer's linear inputs over the calibration texts, read through
     * hooks: [layer][qkv, o, in, out][channel]. The MLP-in input is ln1's output, which no hook shows
     * after the affine step: it is rebuilt from hook_normalized with ln1's weight and bias.
     */
    static float[][][] inputMax(BertModel m, List<String> texts) {
        BertConfig c = m.config();
        int L = c.layers(), d = c.dModel();
        float[][][] max = new float[L][4][];
        Hooks hooks = new Hooks();
        for (int l = 0; l < L; l++) {
            final int layer = l;
            max[l][0] = new float[d]; max[l][1] = new float[d]; max[l][2] = new float[d]; max[l][3] = new float[c.dMlp()];
            hooks.add(HookSite.RESID_PRE.nameAt(l), a -> track(max[layer][0], a.data, a.offset, a.size(), null, null));
            hooks.add(HookSite.ATTN_Z.nameAt(l), a -> track(max[layer][1], a.data, a.offset, a.size(), null, null));
            hooks.add(HookSite.LN1_NORMALIZED.nameAt(l), a -> track(max[layer][2], a.data, a.offset, a.size(),
                    m.weights().ln1Weight()[layer], m.weights().ln1Bias()[layer]));
            hooks.add(HookSite.MLP_POST.nameAt(l), a -> track(max[layer][3], a.data, a.offset, a.size(), null, null));
        }
        List<int[]> ids = new ArrayList<>();
        for (String t : texts) ids.add(m.tokenizer().encode(t, true));
        m.forward(ids.toArray(int[][]::new), null, hooks);
        return max;
    }

    /** max[j] = max(max[j], |x[t, j] * g[j] + b[j]|) (g, b null: |x|) over the rows of x[off, off + size). */
    private static void track(float[] max, float[] x, int off, int size, float[] g, float[] b) {
        int w = max.length;
        for (int i = 0; i < size; i++) {
            int j = i % w;
            float v = g == null ? x[off + i] : Math.fma(x[off + i], g[j], b[j]);
            max[j] = Math.max(max[j], Math.abs(v));
        }
    }
}
