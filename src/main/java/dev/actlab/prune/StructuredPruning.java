package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Structured pruning of whole MLP channels and attention heads from activation importance, coarse to
 * fine as in CFSP (Wang et al. 2024):
 * <ol>
 * <li>coarse: each block's importance is how far it turns the residual stream, the mean over calibration
 *     tokens of the angular distance arccos(cos(resid_pre, resid_post)) / pi; block l gets the sparsity
 *     s_l proportional to mean(I) / I_l, clamped to [s/2, min(1.5 s, 0.95)] and scaled so that the
 *     blocks' mean is s (less important blocks lose more);</li>
 * <li>fine: within block l, round(s_l * hidden) MLP channels and round(s_l * heads) attention heads with
 *     the least output energy over calibration tokens go: a channel c's energy is sum_t h_tc^2 *
 *     ||W_down[:, c]||^2 (h = mlp.hook_post), a head's is trace(W_o,h G_h W_o,h^T) with G_h = sum_t z_h z_h^T
 *     (z = attn.hook_z), i.e. |the unit's contribution to the block output|^2 summed over tokens.</li>
 * </ol>
 * A pruned channel is a zero row of gate and up and a zero column of down; a pruned head a zero block of
 * rows of q and of columns of o (and of rows of k and v once every query head sharing them is pruned).
 * The matrices keep their shapes (zeros in an ordinary GGUF). Statistics come from the dense model.
 */
public final class StructuredPruning {
    private StructuredPruning() {}

    /** What was removed: per block its importance, its sparsity, and the pruned heads and channel count. */
    public record Plan(double[] importance, double[] blockSparsity, List<int[]> heads, int[] channels) {
        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("block_importance", importance);
            j.put("block_sparsity", blockSparsity);
            j.put("pruned_heads", heads);
            j.put("pruned_mlp_channels", channels);
            return j;
        }
    }

    public static Plan apply(QuantModel m, double sparsity, Calibration calib, Progress progress) {
        LlamaConfig c = m.config();
        int L = c.layers(), heads = c.heads(), dh = c.headSize(), hidden = c.hiddenDim();
        double[] angle = new double[L];
        double[][] chanSq = new double[L][hidden];
        double[][][] gram = new double[L][heads][dh * dh];
        long[] tokens = new long[1];
        float[][] pre = new float[L][];
        Hooks hooks = new Hooks();
        for (int l = 0; l < L; l++) {
            final int layer = l;
            hooks.add(HookSite.RESID_PRE.nameAt(l), a -> pre[layer] = a.toArray());
            hooks.add(HookSite.RESID_POST.nameAt(l), a -> {
                float[] post = a.toArray();
                int n = a.shape[0], d = post.length / n;
                for (int t = 0; t < n; t++) {
                    double dot = 0, na = 0, nb = 0;
                    for (int i = 0; i < d; i++) { double x = pre[layer][t * d + i], y = post[t * d + i]; dot += x * y; na += x * x; nb += y * y; }
                    double cos = na == 0 || nb == 0 ? 1 : Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
                    angle[layer] += Math.acos(cos) / Math.PI;
                }
                if (layer == 0) tokens[0] += n;
            });
            hooks.add(HookSite.MLP_POST.nameAt(l), a -> {
                float[] h = a.toArray();
                int n = a.shape[0];
                for (int t = 0; t < n; t++) for (int i = 0; i < hidden; i++) { double v = h[t * hidden + i]; chanSq[layer][i] += v * v; }
            });
            hooks.add(HookSite.ATTN_Z.nameAt(l), a -> {
                float[] z = a.toArray();
                int n = a.shape[0], q = heads * dh;
                for (int t = 0; t < n; t++)
                    for (int hd = 0; hd < heads; hd++) {
                        double[] g = gram[layer][hd];
                        int off = t * q + hd * dh;
                        for (int x = 0; x < dh; x++) { double zx = z[off + x]; for (int y = 0; y < dh; y++) g[x * dh + y] += zx * z[off + y]; }
                    }
            });
        }
        LlamaModel model = m.build();
        for (int i = 0; i < calib.windows(); i++) {
            model.run(calib.window(i), hooks);
            progress.update(i + 1, calib.windows());
        }
        for (int l = 0; l < L; l++) angle[l] /= tokens[0];
        double[] budget = blockBudgets(angle, sparsity);
        List<int[]> prunedHeads = new ArrayList<>();
        int[] prunedChannels = new int[L];
        for (int l = 0; l < L; l++) {
            float[] down = m.weight(l, Linear.DOWN), o = m.weight(l, Linear.O);
            double[] chan = new double[hidden];
            for (int ch = 0; ch < hidden; ch++) {
                double col = 0;
                for (int i = 0; i < c.dim(); i++) col += (double) down[i * hidden + ch] * down[i * hidden + ch];
                chan[ch] = chanSq[l][ch] * col;
            }
            double[] head = new double[heads];
            int q = heads * dh;
            for (int hd = 0; hd < heads; hd++) {
                double[] g = gram[l][hd];
                double e = 0;
                for (int i = 0; i < c.dim(); i++)
                    for (int x = 0; x < dh; x++) {
                        double wx = o[i * q + hd * dh + x], s = 0;
                        for (int y = 0; y < dh; y++) s += g[x * dh + y] * o[i * q + hd * dh + y];
                        e += wx * s;
                    }
                head[hd] = e;
            }
            boolean[] dropChan = new boolean[hidden], dropHead = new boolean[heads];
            PruningPattern.lowest(chan, 0, hidden, (int) Math.round(budget[l] * hidden), dropChan);
            PruningPattern.lowest(head, 0, heads, (int) Math.round(budget[l] * heads), dropHead);
            removeChannels(m, l, dropChan);
            removeHeads(m, l, dropHead);
            int[] hl = java.util.stream.IntStream.range(0, heads).filter(h -> dropHead[h]).toArray();
            prunedHeads.add(hl);
            for (boolean b : dropChan) if (b) prunedChannels[l]++;
        }
        return new Plan(angle, budget, prunedHeads, prunedChannels);
    }

    /** Per-block sparsity: s * mean(I) / I_l, clamped to [s/2, min(1.5 s, 0.95)], scaled (bisection) to mean s. */
    static double[] blockBudgets(double[] importance, double s) {
        int L = importance.length;
        double mean = 0;
        for (double v : importance) mean += v / L;
        double lo = s / 2, hi = Math.min(1.5 * s, 0.95);
        double[] out = new double[L];
        double a = 0, b = 1e3;
        for (int it = 0; it < 200; it++) {
            double k = (a + b) / 2, avg = 0;
            for (int l = 0; l < L; l++) avg += clamp(k, importance[l], mean, s, lo, hi) / L;
            if (avg < s) a = k; else b = k;
        }
        for (int l = 0; l < L; l++) out[l] = clamp((a + b) / 2, importance[l], mean, s, lo, hi);
        return out;
    }

    private static double clamp(double k, double imp, double mean, double s, double lo, double hi) {
        double v = imp > 0 ? k * s * mean / imp : hi;
        return Math.max(lo, Math.min(hi, v));
    }

    private static void removeChannels(QuantModel m, int l, boolean[] drop) {
        LlamaConfig c = m.config();
        int hidden = c.hiddenDim(), dim = c.dim();
        float[] gate = m.weight(l, Linear.GATE), up = m.weight(l, Linear.UP), down = m.weight(l, Linear.DOWN);
        for (int ch = 0; ch < hidden; ch++) {
            if (!drop[ch]) continue;
            java.util.Arrays.fill(gate, ch * dim, (ch + 1) * dim, 0f);
            java.util.Arrays.fill(up, ch * dim, (ch + 1) * dim, 0f);
            for (int i = 0; i < dim; i++) down[i * hidden + ch] = 0;
        }
    }

    private static void removeHeads(QuantModel m, int l, boolean[] drop) {
        LlamaConfig c = m.config();
        int dim = c.dim(), dh = c.headSize(), q = c.qDim(), group = c.heads() / c.kvHeads();
        float[] wq = m.weight(l, Linear.Q), o = m.weight(l, Linear.O), k = m.weight(l, Linear.K), v = m.weight(l, Linear.V);
        for (int h = 0; h < c.heads(); h++) {
            if (!drop[h]) continue;
            java.util.Arrays.fill(wq, h * dh * dim, (h + 1) * dh * dim, 0f);
            for (int i = 0; i < dim; i++) java.util.Arrays.fill(o, i * q + h * dh, i * q + (h + 1) * dh, 0f);
        }
        for (int g = 0; g < c.kvHeads(); g++) {
            boolean all = true;
            for (int h = g * group; h < (g + 1) * group; h++) all &= drop[h];
            if (!all) continue;
            java.util.Arrays.fill(k, g * dh * dim, (g + 1) * dh * dim, 0f);
            java.util.Arrays.fill(v, g * dh * dim, (g + 1) * dh * dim, 0f);
        }
    }
}
