package dev.actlab.model.eval;

/** Per-position scores of one logits row against the actual next token. */
public final class TokenStats {
    private TokenStats() {}

    /** log softmax(logits)[target], computed stably in double. */
    /** log softmax of logits[off, off + vocab), in double: what losses and KL divergences are computed from. */
    public static double[] logSoftmax(float[] logits, int off, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[off + i] - max);
        double lz = max + Math.log(sum);
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) out[i] = logits[off + i] - lz;
        return out;
    }

    static double logProb(float[] logits, int off, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[off + i] - max);
        return logits[off + target] - max - Math.log(sum);
    }

    /** KL(p_base || p) for two logits rows, in nats. */
    static double kl(float[] base, int baseOff, float[] cur, int curOff, int vocab) {
        double mb = Double.NEGATIVE_INFINITY, mc = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) { mb = Math.max(mb, base[baseOff + i]); mc = Math.max(mc, cur[curOff + i]); }
        double sb = 0, sc = 0;
        for (int i = 0; i < vocab; i++) { sb += Math.exp(base[baseOff + i] - mb); sc += Math.exp(cur[curOff + i] - mc); }
        double lzb = mb + Math.log(sb), lzc = mc + Math.log(sc);
        double kl = 0;
        for (int i = 0; i < vocab; i++) {
            double lpb = base[baseOff + i] - lzb, lpc = cur[curOff + i] - lzc;
            kl += Math.exp(lpb) * (lpb - lpc);
        }
        return Math.max(0, kl);
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }
}
