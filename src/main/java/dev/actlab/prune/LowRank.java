package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Hessian;
import dev.actlab.quant.Linear;
import dev.actlab.quant.LowRankBudget;
import dev.actlab.quant.LowRankFactors;
import dev.actlab.quant.LowRankStep;
import dev.actlab.quant.QuantModel;
import dev.actlab.tensor.Parallel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@code actlab lowrank} and {@code lowrank-sweep} do, without the command line: replace every
 * block projection (q, k, v, o, gate, up, down) of a decoder by a low-rank approximation, plain (SVD of
 * W) or activation-whitened (SVD-LLM: SVD of W S, see {@link LowRankWhitening}), at the rank a
 * {@link LowRankBudget} ratio buys, and measure each against the dense model on held-out windows.
 *
 * The inputs' second moments come from one pass of the dense model over the calibration windows (every
 * layer whitened against the dense model's activations, as SVD-LLM does); each matrix is decomposed once
 * per method and cut at every ratio. The embedding, the unembedding and the norms stay as they are.
 */
public final class LowRank {
    private LowRank() {}

    /** One compression setting. */
    public record Setting(double ratio, boolean whiten) {
        public Setting { LowRankBudget.check(ratio); }
        public String method() { return whiten ? "whitened" : "plain"; }
        public String label() { return String.format(Locale.ROOT, "lowrank(r=%s, %s)", ratio, method()); }
    }

    /**
     * One matrix at one setting: relativeError = |W - W-hat|_F / |W|_F; activationError =
     * |(W - W-hat) X|_F / |W X|_F over the calibration inputs X (the relative output error of the layer).
     */
    public record MatrixResult(String name, int rows, int cols, int rank, int fullRank, long parameters,
                               double relativeError, double activationError) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("rows", rows);
            m.put("cols", cols);
            m.put("rank", rank);
            m.put("full_rank", fullRank);
            m.put("dense_parameters", (long) rows * cols);
            m.put("parameters", parameters);
            m.put("relative_frobenius_error", relativeError);
            m.put("activation_weighted_error", activationError);
            return m;
        }
    }

    /** A compressed model (kept for writing) with its per-matrix figures and, after evaluation, its statistics. */
    public record Result(Setting setting, QuantModel model, List<MatrixResult> matrices, long blockDenseParameters, long blockParameters,
                         long modelDenseParameters, QuantizationStats stats) {
        /** Parameters of the whole model with the blocks' projections factored (embedding, unembedding, norms as they are). */
        public long modelParameters() { return modelDenseParameters - blockDenseParameters + blockParameters; }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rank_ratio", setting.ratio());
            m.put("method", setting.method());
            m.put("block_dense_parameters", blockDenseParameters);
            m.put("block_parameters", blockParameters);
            m.put("model_dense_parameters", modelDenseParameters);
            m.put("model_parameters", modelParameters());
            if (stats != null) m.putAll(stats.toJson());
            List<Map<String, Object>> ms = new ArrayList<>();
            for (MatrixResult r : matrices) ms.add(r.toJson());
            m.put("matrices", ms);
            return m;
        }
    }

    /** The dense model's projections, the second moments of their inputs and their factors per method. */
    public static final class Prepared {
        final QuantModel dense;
        final Hessian[][] moments;             // [layer][Linear]; q/k/v and gate/up share one
        final double[][] outputEnergy;         // [layer][Linear]: |W X|_F^2
        final LowRankFactors[][] plain, whitened;

        private Prepared(QuantModel dense, Hessian[][] moments, double[][] outputEnergy, LowRankFactors[][] plain, LowRankFactors[][] whitened) {
            this.dense = dense; this.moments = moments; this.outputEnergy = outputEnergy; this.plain = plain; this.whitened = whitened;
        }

        /** The factors of one projection (null when that method was not prepared). */
        public LowRankFactors factors(int layer, Linear lin, boolean whiten) {
            LowRankFactors[][] f = whiten ? whitened : plain;
            return f == null ? null : f[layer][lin.ordinal()];
        }
        public Hessian moment(int layer, Linear lin) { return moments[layer][lin.ordinal()]; }
        public QuantModel dense() { return dense; }
    }

    /** Second moments from the calibration windows, then the factors of every projection for the methods asked. */
    public static Prepared prepare(LlamaModel base, Calibration calib, boolean plain, boolean whiten, double damp, Parallel par,
                                   Function<String, Progress> progress) {
        QuantModel q = QuantModel.of(base);
        LlamaConfig c = q.config();
        int L = q.layers(), nl = Linear.values().length;
        Hessian[][] hs = LowRankStep.secondMoments(q, calib, par, progress.apply("second moments"));
        double[][] energy = new double[L][nl];
        LowRankFactors[][] pf = plain ? new LowRankFactors[L][nl] : null, wf = whiten ? new LowRankFactors[L][nl] : null;
        int jobs = L * nl;
        Progress bar = progress.apply(plain && whiten ? "SVD (plain and whitened)" : whiten ? "SVD (whitened)" : "SVD (plain)");
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        par.forRange(jobs, 1, (from, to) -> {                     // matrices are independent: one per task, any thread count gives the same bits
            for (int j = from; j < to; j++) {
                int l = j / nl;
                Linear lin = Linear.values()[j % nl];
                float[] w = q.weight(l, lin);
                int rows = lin.rows(c), cols = lin.cols(c);
                Hessian h = hs[l][lin.ordinal()];
                energy[l][lin.ordinal()] = h.error(w, new float[w.length], rows);
                if (pf != null) pf[l][lin.ordinal()] = LowRankFactors.plain(w, rows, cols);
                if (wf != null) wf[l][lin.ordinal()] = LowRankFactors.whitened(w, rows, cols, h.matrix(), damp);
                bar.update(done.incrementAndGet(), jobs);
            }
        });
        return new Prepared(q, hs, energy, pf, wf);
    }

    /** A copy of the dense model with every projection cut to the setting's rank (no evaluation yet). */
    public static Result compress(Prepared p, Setting s, Parallel par) {
        QuantModel q = p.dense.copy();
        LlamaConfig c = q.config();
        int L = q.layers(), nl = Linear.values().length;
        MatrixResult[] out = new MatrixResult[L * nl];
        par.forRange(L * nl, 1, (from, to) -> {
            for (int j = from; j < to; j++) {
                int l = j / nl;
                Linear lin = Linear.values()[j % nl];
                LowRankFactors f = p.factors(l, lin, s.whiten());
                if (f == null) throw new IllegalStateException(s.method() + " factors were not prepared");
                int rows = lin.rows(c), cols = lin.cols(c), k = LowRankBudget.rank(s.ratio(), rows, cols);
                float[] w = p.dense.weight(l, lin), hat = f.reconstruct(k);
                q.setWeight(l, lin, hat);
                double diff = 0, norm = 0;
                for (int i = 0; i < w.length; i++) { double d = (double) w[i] - hat[i]; diff += d * d; norm += (double) w[i] * w[i]; }
                double act = p.moment(l, lin).error(w, hat, rows), e = p.outputEnergy[l][lin.ordinal()];
                out[j] = new MatrixResult(lin.nameAt(l), rows, cols, k, f.fullRank(), LowRankBudget.parameters(k, rows, cols),
                        Math.sqrt(diff / norm), e > 0 ? Math.sqrt(Math.max(0, act) / e) : 0);
            }
        });
        q.log(s.label());
        long blockDense = 0, block = 0;
        for (MatrixResult m : out) { blockDense += (long) m.rows() * m.cols(); block += m.parameters(); }
        return new Result(s, q, List.of(out), blockDense, block, modelParameters(p.dense), null);
    }

    /** Every parameter of the dense model: embedding, unembedding (when not tied), norms, biases, projections. */
    static long modelParameters(QuantModel q) {
        LlamaConfig c = q.config();
        long n = q.embedding().length + (q.tied() ? 0 : q.output().length) + q.finalNorm().length;
        for (int l = 0; l < q.layers(); l++) {
            n += q.attnNorm(l).length + q.ffnNorm(l).length;
            if (q.hasBiases()) n += Linear.Q.rows(c) + 2L * Linear.K.rows(c);
            for (Linear lin : Linear.values()) n += (long) lin.rows(c) * lin.cols(c);
        }
        return n;
    }

    /** Prepares, compresses at every setting and evaluates all of them against the dense model on the same windows (it runs once per window). */
    public static List<Result> run(LlamaModel base, List<Setting> settings, Calibration calib, int[][] evalWindows, double damp,
                                   Function<String, Progress> progress) {
        if (settings.isEmpty()) throw new IllegalArgumentException("no low-rank setting to run");
        if (calib == null) throw new IllegalArgumentException("low-rank compression needs calibration text (for whitening and the activation-weighted error)");
        boolean plain = settings.stream().anyMatch(s -> !s.whiten()), whiten = settings.stream().anyMatch(Setting::whiten);
        Parallel par = Parallel.shared();
        Prepared p = prepare(base, calib, plain, whiten, damp, par, progress);
        List<Result> compressed = new ArrayList<>();
        for (Setting s : settings) compressed.add(compress(p, s, par));
        List<LlamaModel> models = new ArrayList<>();
        for (Result r : compressed) models.add(r.model().build());
        List<QuantizationStats> stats = PairedPerplexity.run(base, models, evalWindows, progress.apply("evaluate"));
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < compressed.size(); i++) {
            Result r = compressed.get(i);
            out.add(new Result(r.setting(), r.model(), r.matrices(), r.blockDenseParameters(), r.blockParameters(), r.modelDenseParameters(), stats.get(i)));
        }
        return out;
    }
}
