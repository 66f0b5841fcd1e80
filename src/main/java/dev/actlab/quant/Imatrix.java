package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.imatrix.ImatrixFile;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The importance matrix llama-imatrix computes: for every weight matrix W of the blocks (q, k, v, o,
 * gate, up, down, and the unembedding when it is not the embedding), the mean over all tokens of x_j^2
 * for each input column j, x the rows W multiplies, read through hooks (ln1/ln2.hook_normalized times
 * the norm's weight, attn.hook_z, mlp.hook_post, ln_final.hook_normalized times the final norm's weight).
 * The tokens are cut into chunks of ctx tokens from the start (a last partial chunk is dropped, as
 * llama-imatrix does); each chunk runs on its own from position 0, its ids exactly as given. Sums are
 * kept in double (llama-imatrix keeps float), in token order: the same bits for any thread count.
 */
public final class Imatrix {
    private Imatrix() {}

    /** Running sums of x_j^2 of one matrix input. */
    private static final class Sums {
        final double[] sq;
        long rows;
        Sums(int cols) { sq = new double[cols]; }

        /** Adds rows [n, cols] of x, column j scaled by scale[j] (null: 1). */
        void add(float[] x, int n, float[] scale) {
            int cols = sq.length;
            for (int t = 0; t < n; t++)
                for (int j = 0; j < cols; j++) {
                    double v = scale == null ? x[t * cols + j] : x[t * cols + j] * scale[j];   // the float product the matmul sees
                    sq[j] += v * v;
                }
            rows += n;
        }
    }

    /**
     * @param dataset the input file name written at the end of the file (llama-imatrix writes its -f argument)
     */
    public static ImatrixFile compute(LlamaModel model, int[] tokens, int ctx, String dataset, Progress progress) {
        LlamaConfig c = model.config();
        LlamaWeights w = model.weights();
        if (ctx < 1) throw new IllegalArgumentException("--ctx must be at least 1, got " + ctx);
        if (ctx > c.contextLength()) throw new IllegalArgumentException("--ctx " + ctx + " exceeds the model's context length " + c.contextLength());
        int chunks = tokens.length / ctx;
        if (chunks == 0) throw new IllegalArgumentException("the input has " + tokens.length + " tokens, less than one chunk of --ctx " + ctx);

        // one sum per distinct input: q, k, v share ln1's; gate and up share ln2's
        Sums[] attnIn = new Sums[c.layers()], z = new Sums[c.layers()], mlpIn = new Sums[c.layers()], mlpPost = new Sums[c.layers()];
        Hooks hooks = new Hooks();
        for (int l = 0; l < c.layers(); l++) {
            attnIn[l] = new Sums(c.dim()); z[l] = new Sums(c.qDim()); mlpIn[l] = new Sums(c.dim()); mlpPost[l] = new Sums(c.hiddenDim());
            float[] g1 = w.attnNorm()[l], g2 = w.ffnNorm()[l];
            hooks.add(HookSite.LN1_NORMALIZED.nameAt(l), sink(attnIn[l], g1));
            hooks.add(HookSite.ATTN_Z.nameAt(l), sink(z[l], null));
            hooks.add(HookSite.LN2_NORMALIZED.nameAt(l), sink(mlpIn[l], g2));
            hooks.add(HookSite.MLP_POST.nameAt(l), sink(mlpPost[l], null));
        }
        boolean untied = w.output() != w.tokenEmbedding();
        Sums out = untied ? new Sums(c.dim()) : null;
        if (untied) hooks.add(HookSite.LN_FINAL_NORMALIZED.nameAt(0), sink(out, w.finalNorm()));

        for (int i = 0; i < chunks; i++) {
            int[] chunk = Arrays.copyOfRange(tokens, i * ctx, (i + 1) * ctx);
            if (untied) model.runWithHooks(chunk, hooks);   // every position through the unembedding
            else model.run(chunk, hooks);
            progress.update(i + 1, chunks);
        }

        Map<String, Sums> byName = new TreeMap<>();           // llama-imatrix writes its entries sorted by name
        for (int l = 0; l < c.layers(); l++) {
            byName.put(Linear.Q.nameAt(l) + ".weight", attnIn[l]);
            byName.put(Linear.K.nameAt(l) + ".weight", attnIn[l]);
            byName.put(Linear.V.nameAt(l) + ".weight", attnIn[l]);
            byName.put(Linear.O.nameAt(l) + ".weight", z[l]);
            if (w.wGate()[l] != null) byName.put(Linear.GATE.nameAt(l) + ".weight", mlpIn[l]);
            byName.put(Linear.UP.nameAt(l) + ".weight", mlpIn[l]);
            byName.put(Linear.DOWN.nameAt(l) + ".weight", mlpPost[l]);
        }
        if (untied) byName.put("output.weight", out);
        List<ImatrixFile.Entry> entries = new ArrayList<>();
        for (var e : byName.entrySet()) entries.add(entry(e.getKey(), e.getValue(), ctx));
        return new ImatrixFile(entries, chunks, dataset);
    }

    private static Hook sink(Sums s, float[] scale) {
        return a -> s.add(a.toArray(), a.shape[0], scale);
    }

    /** calls = the chunks the rows came from (rounded up); values = calls x mean of x_j^2, in float as llama-imatrix stores them. */
    private static ImatrixFile.Entry entry(String name, Sums s, int ctx) {
        int calls = (int) ((s.rows + ctx - 1) / ctx);
        float[] v = new float[s.sq.length];
        for (int j = 0; j < v.length; j++) v[j] = (float) (s.sq[j] / s.rows) * calls;
        return new ImatrixFile.Entry(name, calls, v);
    }
}
