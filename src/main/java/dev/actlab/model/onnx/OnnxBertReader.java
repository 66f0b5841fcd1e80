package dev.actlab.model.onnx;

import dev.actlab.io.FormatException;
import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertWeights;
import dev.actlab.tensor.F32PanelMatrix;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps the initializers of an exported BERT graph (HF / optimum export, opset 11+) to BERT roles.
 * Exporters rename transposed MatMul weights anonymously ({@code onnx::MatMul_787}), so each weight
 * is identified by where it sits in the graph, not by its name:
 * <ul>
 * <li>embeddings: the three Gathers reading a 2-D initializer, told apart by their index input
 *     ({@code input_ids}, {@code token_type_ids}, anything else = positions);</li>
 * <li>LayerNorms: a Mul by a 1-D initializer followed by an Add of a 1-D initializer, after a Div
 *     (decomposed) or a LayerNormalization node; in graph order: embeddings, then ln1, ln2 per layer;</li>
 * <li>Q / K / V: following the projection forward to the activation MatMul it feeds: the scores
 *     MatMul's left (Q) or right (K) input, or the right input of the MatMul after the Softmax (V);</li>
 * <li>O: the projection whose input comes from the attention-weighted values; FFN in: the one whose
 *     output reaches an Erf/Gelu; FFN out: the rest. k-th of each kind = layer k (graph order).</li>
 * </ul>
 * ONNX MatMul weights are [in, out]; they are transposed to [out, in] rows here.
 */
public final class OnnxBertReader {
    private static final Set<String> PASS_THROUGH = Set.of("Add", "Reshape", "Transpose", "Div", "Mul", "Cast", "Identity", "Squeeze", "Unsqueeze");

    private final OnnxModel m;
    private final Path file;
    private final Map<String, OnnxNode> producer = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    private OnnxBertReader(OnnxModel m) {
        this.m = m; this.file = m.file();
        for (OnnxNode n : m.nodes()) {
            for (String o : n.outputs()) producer.put(o, n);
            for (String i : n.inputs()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
    }

    public record Loaded(BertConfig config, BertWeights weights) {}

    public static Loaded read(OnnxModel model, float normEps) throws FormatException {
        return new OnnxBertReader(model).map(normEps);
    }

    private Loaded map(float normEps) throws FormatException {
        // embeddings
        float[] word = null, pos = null, type = null;
        int vocab = 0, maxPos = 0, types = 0, d = 0;
        for (OnnxNode n : m.nodes()) {
            if (!n.opType().equals("Gather")) continue;
            OnnxTensor t = m.initializers().get(n.input(0));
            if (t == null || t.rank() != 2) continue;
            String idx = n.input(1);
            d = (int) t.dims()[1];
            if (idx.equals("input_ids")) { word = m.floats(t); vocab = (int) t.dims()[0]; }
            else if (idx.equals("token_type_ids")) { type = m.floats(t); types = (int) t.dims()[0]; }
            else { pos = m.floats(t); maxPos = (int) t.dims()[0]; }
        }
        if (word == null) throw missing("word embedding (a Gather of an initializer by input_ids)");
        if (pos == null) throw missing("position embedding (a Gather of an initializer by position ids)");
        if (type == null) {   // exports without a token_type_ids input: BERT's segment 0 row is still needed
            throw missing("token type embedding (a Gather of an initializer by token_type_ids)");
        }

        // LayerNorms in graph order
        List<float[][]> norms = new ArrayList<>();
        for (OnnxNode n : m.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                norms.add(new float[][]{floats1d(n.input(1)), floats1d(n.input(2))});
            } else if (n.opType().equals("Mul")) {
                String gamma = initializerInput(n, 1);
                OnnxNode div = producer.get(otherInput(n, gamma));
                if (gamma == null || div == null || !div.opType().equals("Div")) continue;
                List<OnnxNode> next = consumers.getOrDefault(n.output(), List.of());
                if (next.size() != 1 || !next.get(0).opType().equals("Add")) continue;
                String beta = initializerInput(next.get(0), 1);
                if (beta == null) continue;
                norms.add(new float[][]{floats1d(gamma), floats1d(beta)});
            }
        }

        // projections
        List<String[]> q = new ArrayList<>(), k = new ArrayList<>(), v = new ArrayList<>(), o = new ArrayList<>(), in = new ArrayList<>(), out = new ArrayList<>();
        int heads = 0;
        for (OnnxNode n : m.nodes()) {
            if (!n.opType().equals("MatMul")) continue;
            String w = initializerInput(n, 2);
            if (w == null || m.initializers().get(w).rank() != 2) continue;
            String[] wb = {w, biasAfter(n)};
            Reached r = reachActivationMatMul(n.output());
            if (r != null && r.slot == 0 && !afterSoftmax(r.node)) { q.add(wb); if (heads == 0) heads = headsOf(n); }
            else if (r != null && r.slot == 1 && !afterSoftmax(r.node)) k.add(wb);
            else if (r != null && r.slot == 1) v.add(wb);
            else if (fedByActivationMatMul(n.input(0))) o.add(wb);
            else if (reachesGelu(n.output())) in.add(wb);
            else out.add(wb);
        }
        int layers = q.size();
        if (layers == 0) throw missing("attention query projection (a MatMul feeding the scores MatMul)");
        for (var e : Map.of("key", k, "value", v, "attention output", o, "intermediate", in, "output", out).entrySet())
            if (e.getValue().size() != layers)
                throw new FormatException(file, "graph", 0, "found " + layers + " query projections but " + e.getValue().size() + " " + e.getKey() + " projections");
        if (norms.size() != 2 * layers + 1)
            throw new FormatException(file, "graph", 0, "found " + norms.size() + " LayerNorms, a " + layers + "-layer BERT has " + (2 * layers + 1));
        if (heads <= 0) throw missing("number of attention heads (the constant shape of the query Reshape)");

        int dMlp = (int) m.initializers().get(in.get(0)[0]).dims()[1];
        BertConfig c = new BertConfig(vocab, maxPos, types, d, layers, heads, dMlp, normEps);
        WeightMatrix[] wq = new WeightMatrix[layers], wk = new WeightMatrix[layers], wv = new WeightMatrix[layers], wo = new WeightMatrix[layers],
                wIn = new WeightMatrix[layers], wOut = new WeightMatrix[layers];
        float[][] bq = new float[layers][], bk = new float[layers][], bv = new float[layers][], bo = new float[layers][], bIn = new float[layers][], bOut = new float[layers][];
        float[][] ln1w = new float[layers][], ln1b = new float[layers][], ln2w = new float[layers][], ln2b = new float[layers][];
        for (int l = 0; l < layers; l++) {
            wq[l] = transposed(q.get(l)[0]); bq[l] = floats1d(q.get(l)[1]);
            wk[l] = transposed(k.get(l)[0]); bk[l] = floats1d(k.get(l)[1]);
            wv[l] = transposed(v.get(l)[0]); bv[l] = floats1d(v.get(l)[1]);
            wo[l] = transposed(o.get(l)[0]); bo[l] = floats1d(o.get(l)[1]);
            wIn[l] = transposed(in.get(l)[0]); bIn[l] = floats1d(in.get(l)[1]);
            wOut[l] = transposed(out.get(l)[0]); bOut[l] = floats1d(out.get(l)[1]);
            ln1w[l] = norms.get(1 + 2 * l)[0]; ln1b[l] = norms.get(1 + 2 * l)[1];
            ln2w[l] = norms.get(2 + 2 * l)[0]; ln2b[l] = norms.get(2 + 2 * l)[1];
        }
        BertWeights w = new BertWeights(word, pos, type, norms.get(0)[0], norms.get(0)[1],
                wq, wk, wv, bq, bk, bv, wo, bo, ln1w, ln1b, wIn, bIn, wOut, bOut, ln2w, ln2b);
        try { w.validate(c, file.toString()); }
        catch (IllegalArgumentException e) { throw new FormatException(file, "graph", 0, e.getMessage()); }
        return new Loaded(c, w);
    }

    private record Reached(OnnxNode node, int slot) {}

    /** Follows data (not shape) edges forward to the first MatMul of two activations; which input it arrives at. */
    private Reached reachActivationMatMul(String value) {
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(value));
        for (int steps = 0; !todo.isEmpty() && steps < 32; steps++) {
            String v = todo.poll();
            for (OnnxNode c : consumers.getOrDefault(v, List.of())) {
                if (c.opType().equals("MatMul")) {
                    if (initializerInput(c, 2) == null) return new Reached(c, c.inputs().indexOf(v));
                } else if (PASS_THROUGH.contains(c.opType()) && c.inputs().indexOf(v) == 0 || c.opType().equals("Add")) {
                    todo.add(c.output());
                }
            }
        }
        return null;
    }

    /** True when the MatMul's left input is a Softmax output (the attention-weighted sum of values). */
    private boolean afterSoftmax(OnnxNode matmul) {
        OnnxNode p = producer.get(matmul.input(0));
        for (int i = 0; i < 4 && p != null; i++) {
            if (p.opType().equals("Softmax")) return true;
            if (!PASS_THROUGH.contains(p.opType())) return false;
            p = producer.get(p.input(0));
        }
        return false;
    }

    private boolean fedByActivationMatMul(String value) {
        OnnxNode p = producer.get(value);
        for (int i = 0; i < 4 && p != null; i++) {
            if (p.opType().equals("MatMul")) return initializerInput(p, 2) == null;
            if (!p.opType().equals("Reshape") && !p.opType().equals("Transpose")) return false;
            p = producer.get(p.input(0));
        }
        return false;
    }

    private boolean reachesGelu(String value) {
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(value));
        for (int steps = 0; !todo.isEmpty() && steps < 8; steps++) {
            for (OnnxNode c : consumers.getOrDefault(todo.poll(), List.of())) {
                String op = c.opType();
                if (op.equals("Erf") || op.equals("Gelu") || op.equals("FastGelu") || op.equals("BiasGelu")) return true;
                if (op.equals("Add") || op.equals("Div") || op.equals("Mul")) todo.add(c.output());
            }
        }
        return false;
    }

    /** The bias: a 1-D initializer added to the MatMul's output. */
    private String biasAfter(OnnxNode matmul) throws FormatException {
        for (OnnxNode c : consumers.getOrDefault(matmul.output(), List.of()))
            if (c.opType().equals("Add")) { String b = initializerInput(c, 1); if (b != null) return b; }
        throw new FormatException(file, "node '" + matmul.name() + "'", 0, "MatMul has no bias Add after it");
    }

    /** The heads count from the query Reshape's target shape [batch, seq, heads, head_size]. */
    private int headsOf(OnnxNode queryMatMul) throws FormatException {
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(queryMatMul.output()));
        for (int steps = 0; !todo.isEmpty() && steps < 8; steps++) {
            for (OnnxNode c : consumers.getOrDefault(todo.poll(), List.of())) {
                if (c.opType().equals("Reshape")) {
                    long[] shape = constantLongs(c.input(1));
                    if (shape != null && shape.length == 4) return (int) shape[2];
                    OnnxNode concat = producer.get(c.input(1));
                    if (concat != null && concat.opType().equals("Concat") && concat.inputs().size() == 4) {
                        long[] h = constantLongs(concat.input(2));
                        if (h != null && h.length == 1) return (int) h[0];
                    }
                } else if (c.opType().equals("Add")) todo.add(c.output());
            }
        }
        return 0;
    }

    private long[] constantLongs(String value) throws FormatException {
        OnnxTensor t = m.initializers().get(value);
        if (t == null) {
            OnnxNode p = producer.get(value);
            if (p == null || !p.opType().equals("Constant")) return null;
            t = p.tensorAttributes().get("value");
        }
        return t == null || t.dataType() != OnnxTensor.INT64 ? null : m.longs(t);
    }

    /** Name of an initializer input of n of the given rank (0 = any), or null. */
    private String initializerInput(OnnxNode n, int rank) {
        for (String i : n.inputs()) {
            OnnxTensor t = m.initializers().get(i);
            if (t != null && (rank == 0 || t.rank() == rank)) return i;
        }
        return null;
    }

    private static String otherInput(OnnxNode n, String one) {
        for (String i : n.inputs()) if (!i.equals(one)) return i;
        return "";
    }

    private float[] floats1d(String name) throws FormatException {
        OnnxTensor t = m.initializers().get(name);
        if (t == null) throw missing("initializer '" + name + "'");
        return m.floats(t);
    }

    /** An ONNX [in, out] MatMul weight as a WeightMatrix [out, in] (panels of W^T: the [in, out] rows repacked). */
    private WeightMatrix transposed(String name) throws FormatException {
        OnnxTensor t = m.initializers().get(name);
        int in = (int) t.dims()[0], out = (int) t.dims()[1];
        return F32PanelMatrix.fromTransposed(m.floats(t), out, in);
    }

    private FormatException missing(String what) {
        return new FormatException(file, "graph", 0, "not a BERT encoder graph: no " + what + " found");
    }
}
