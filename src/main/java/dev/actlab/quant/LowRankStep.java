package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The recipe step {@code lowrank(r=0.5, whiten, damp=0.001)}: every block projection W [rows, cols]
 * (q, k, v, o, gate, up, down) replaced by its rank-k approximation W-hat, k the rank that ratio r of the
 * dense parameters buys ({@link LowRankBudget}); plain (truncated SVD of W) or, with {@code whiten},
 * SVD-LLM's activation-whitened SVD ({@link LowRankFactors#whitened}) on the inputs the model as it
 * stands multiplies (so after {@code hadamard} it sees the rotated inputs). The same decomposition as
 * {@code actlab lowrank}. W-hat is kept as one dense float matrix: a later step quantizes W-hat itself
 * (not the factors A = U_k S_k and B = V_k^T S^-1, which are not stored). Must come before any
 * quantization step (it rewrites float weights).
 */
public record LowRankStep(double ratio, boolean whiten, double damp) implements QuantStep {
    public LowRankStep {
        LowRankBudget.check(ratio);
        if (!(damp > 0)) throw new IllegalArgumentException("lowrank damp must be > 0, got " + damp);
    }

    @Override public boolean calibrates() { return whiten; }

    @Override public String describe() {
        return String.format(Locale.ROOT, "lowrank(r=%s%s)", ratio, whiten ? ", whiten, damp=" + damp : "");
    }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        QuantStep.requireUnquantized(m, "lowrank");
        if (whiten && calib == null) throw new IllegalArgumentException("lowrank(whiten) needs calibration text");
        LlamaConfig c = m.config();
        int L = m.layers(), nl = Linear.values().length;
        Parallel par = Parallel.shared();
        Hessian[][] moments = whiten ? secondMoments(m, calib, par, progress) : null;
        AtomicInteger done = new AtomicInteger();
        long[] kept = new long[L * nl];
        par.forRange(L * nl, 1, (from, to) -> {            // one matrix per task: the same bits at any thread count
            for (int j = from; j < to; j++) {
                int l = j / nl;
                Linear lin = Linear.values()[j % nl];
                int rows = lin.rows(c), cols = lin.cols(c), k = LowRankBudget.rank(ratio, rows, cols);
                float[] w = m.weight(l, lin);
                LowRankFactors f = whiten ? LowRankFactors.whitened(w, rows, cols, moments[l][lin.ordinal()].matrix(), damp)
                                          : LowRankFactors.plain(w, rows, cols);
                m.setWeight(l, lin, f.reconstruct(k));
                kept[j] = LowRankBudget.parameters(k, rows, cols);
                if (!whiten) progress.update(done.incrementAndGet(), L * nl);
            }
        });
        long dense = 0, factored = 0;
        for (int l = 0; l < L; l++) for (Linear lin : Linear.values()) dense += (long) lin.rows(c) * lin.cols(c);
        for (long k : kept) factored += k;
        m.log(describe() + String.format(Locale.ROOT, " [%d of %d block parameters as factors]", factored, dense));
    }

    /**
     * H = sum of x x^T over the calibration inputs of every projection of every layer, in one pass of the
     * model as it stands ([layer][Linear]); projections that multiply the same rows (q, k, v; gate, up, unless
     * their input transforms differ) share one H.
     */
    public static Hessian[][] secondMoments(QuantModel m, Calibration calib, Parallel par, Progress progress) {
        LlamaConfig c = m.config();
        int L = m.layers();
        Hessian[][] hs = new Hessian[L][Linear.values().length];
        EnumSet<Linear> which = EnumSet.noneOf(Linear.class);
        for (int l = 0; l < L; l++)
            for (Linear lin : Linear.values()) {
                Linear owner = sharedInputOwner(m, l, lin);
                if (owner == lin) { hs[l][lin.ordinal()] = new Hessian(lin.cols(c)); which.add(lin); }
                else hs[l][lin.ordinal()] = hs[l][owner.ordinal()];
            }
        calib.collect(m, which, (l, lin, x, n, cols) -> {
            Hessian h = hs[l][lin.ordinal()];
            if (sharedInputOwner(m, l, lin) == lin) h.add(x, n, par);
        }, progress);
        return hs;
    }

    /** The projection whose input rows lin multiplies too (q for k and v, gate for up, when their input transforms are the same); else lin. */
    static Linear sharedInputOwner(QuantModel m, int layer, Linear lin) {
        Linear owner = switch (lin) { case K, V -> Linear.Q; case UP -> Linear.GATE; default -> lin; };
        return m.input(layer, owner) == m.input(layer, lin) ? owner : lin;
    }
}
