package dev.actlab.train;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The pruning mask of a fine-tune that keeps a pruned model pruned: the exact zeros (0.0 or -0.0)
 * of the block linears (blk.N.attn_q/k/v/output, ffn_gate/up/down) at the start. Their gradients are
 * zeroed before clipping (so they count nowhere) and AdamW skips them (no moment, no step, no weight
 * decay), so a pruned weight stays exactly 0 and the sparsity pattern (e.g. 2:4) survives training.
 */
public final class ZeroMask {
    private static final Pattern BLOCK_LINEAR = Pattern.compile("blk\\.\\d+\\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\\.weight");

    private final boolean[][] pruned;   // per parameter (in params order): true where the weight is held at zero; null: not masked
    private final long count, total;

    private ZeroMask(boolean[][] pruned, long count, long total) { this.pruned = pruned; this.count = count; this.total = total; }

    /** The exact zeros of every block linear among params, as they are now. */
    public static ZeroMask ofBlockLinears(List<Param> params) {
        boolean[][] p = new boolean[params.size()][];
        long count = 0, total = 0;
        for (int i = 0; i < params.size(); i++) {
            Param param = params.get(i);
            if (!BLOCK_LINEAR.matcher(param.name()).matches()) continue;
            float[] w = param.value();
            p[i] = new boolean[w.length];
            for (int j = 0; j < w.length; j++) if (w[j] == 0f) { p[i][j] = true; count++; }
            total += w.length;
        }
        return new ZeroMask(p, count, total);
    }

    /** Weights held at zero. */
    public long prunedCount() { return count; }
    /** Weights of the masked matrices (pruned or not). */
    public long maskedTotal() { return total; }
    /** True where parameter p's element i is held at zero. */
    public boolean isPruned(int p, int i) { return pruned[p] != null && pruned[p][i]; }
    /** The mask of parameter p, or null when it is not masked. */
    boolean[] of(int p) { return pruned[p]; }

    /** Zeroes the gradient of every pruned weight. */
    public void maskGradients(List<Param> params) {
        for (int p = 0; p < pruned.length; p++) {
            boolean[] m = pruned[p];
            if (m == null) continue;
            float[] g = params.get(p).grad();
            for (int i = 0; i < m.length; i++) if (m[i]) g[i] = 0f;
        }
    }

    /** Pruned weights that are not exactly zero any more (0 unless something bypassed the mask). */
    public long revived(List<Param> params) {
        long n = 0;
        for (int p = 0; p < pruned.length; p++) {
            boolean[] m = pruned[p];
            if (m == null) continue;
            float[] w = params.get(p).value();
            for (int i = 0; i < m.length; i++) if (m[i] && w[i] != 0f) n++;
        }
        return n;
    }
}
