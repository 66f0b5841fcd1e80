package dev.actlab.sae;

import dev.actlab.io.Progress;
import dev.actlab.tensor.Axpy;
import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.SparseGradKernel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Trains an SAE with Adam on batches from an {@link ActivationSource}.
 *
 * <p>Per step, on a batch x [B, d_in] (scaled by a constant c so that the mean row norm is
 * sqrt(d_in), as SAELens' expected_average_only_in; c is folded back into the weights at the end):
 * pre = (x - b_dec) W_enc + b_enc by {@link Gemm}; f = the architecture's activation; x_hat = f W_dec
 * + b_dec; loss = mean over rows of |x_hat - x|^2, plus for ReLU l1 * sum f (decoder rows unit
 * norm, so this is Anthropic's norm-weighted L1), plus for TopK the AuxK loss of OpenAI's "Scaling
 * and evaluating sparse autoencoders": the k_aux largest pre-activations among dead latents
 * reconstruct the residual x - x_hat, weighted 1/32. Decoder rows are kept unit norm: the gradient's
 * component along each row is removed before the step and rows are renormalised after it.
 * b_dec starts at the geometric median of the first batch (Weiszfeld), W_dec at random unit rows
 * and W_enc at W_dec's transpose.
 *
 * <p>The backward pass is sparse: only the active latents of each row get gradients, grouped by
 * latent so that every latent's sums run in row order on one thread; b_dec's gradient through the
 * encoder is W_enc times b_enc's (every row's sum over its latents, regrouped by latent). Results
 * are bit-identical for any thread count. {@link StepTimes} says where a step's time goes.
 */
public final class SaeTrainer {
    /**
     * @param deadAfterTokens a latent that has not fired for this many tokens counts as dead (AuxK's target, the reported dead fraction)
     * @param kAux            latents the AuxK loss uses (0: d_in / 2)
     * @param logEvery        steps between {@link Stats} reports
     */
    /**
     * @param l1        relu: L1 coefficient; jumprelu: the L0 coefficient lambda
     * @param bandwidth jumprelu: epsilon, the width of the rectangle kernel of the straight-through estimator
     * @param thetaInit jumprelu: every threshold's initial value
     */
    /**
     * @param matryoshka prefix widths m_1 < m_2 < ... < d_sae of a Matryoshka SAE (Bussmann et al. 2025): the
     *                   loss sums the reconstruction losses of every prefix of the latent list and of the whole
     *                   list; empty: a plain SAE
     * @param lrDecay    fraction of the steps, at the end, over which the learning rate falls linearly to 0 (0: constant)
     */
    public record Options(SaeConfig.Architecture arch, int k, int expansion, double lr, int batch, long tokens, long seed,
                          double l1, double auxCoefficient, int kAux, long deadAfterTokens, int logEvery, double bandwidth, double thetaInit,
                          int[] matryoshka, double lrDecay) {
        /** The JumpReLU paper's epsilon and initial threshold (0.001 each). */
        public static final double BANDWIDTH = 0.001, THETA_INIT = 0.001;

        public Options(SaeConfig.Architecture arch, int k, int expansion, double lr, int batch, long tokens, long seed,
                       double l1, double auxCoefficient, int kAux, long deadAfterTokens, int logEvery) {
            this(arch, k, expansion, lr, batch, tokens, seed, l1, auxCoefficient, kAux, deadAfterTokens, logEvery, BANDWIDTH, THETA_INIT);
        }

        public Options(SaeConfig.Architecture arch, int k, int expansion, double lr, int batch, long tokens, long seed,
                       double l1, double auxCoefficient, int kAux, long deadAfterTokens, int logEvery, double bandwidth, double thetaInit) {
            this(arch, k, expansion, lr, batch, tokens, seed, l1, auxCoefficient, kAux, deadAfterTokens, logEvery, bandwidth, thetaInit, new int[0], 0);
        }

        /** The same options with Matryoshka prefix widths and a learning-rate decay. */
        public Options with(int[] matryoshkaWidths, double lrDecayFraction) {
            return new Options(arch, k, expansion, lr, batch, tokens, seed, l1, auxCoefficient, kAux, deadAfterTokens, logEvery, bandwidth, thetaInit,
                    matryoshkaWidths, lrDecayFraction);
        }

        public Options {
            matryoshka = matryoshka == null ? new int[0] : matryoshka.clone();
            if (!(lrDecay >= 0) || lrDecay > 1) throw new IllegalArgumentException("--lr-decay " + lrDecay + " must be in [0, 1]");
            if (matryoshka.length > 0 && arch == SaeConfig.Architecture.JUMPRELU) throw new IllegalArgumentException("--matryoshka applies to topk, batchtopk and relu, not jumprelu");
            for (int g = 0; g < matryoshka.length; g++)
                if (matryoshka[g] <= (g == 0 ? 0 : matryoshka[g - 1]))
                    throw new IllegalArgumentException("--matryoshka widths " + Arrays.toString(matryoshka) + " must be positive and increasing");
            if (!(bandwidth > 0) || !(thetaInit > 0)) throw new IllegalArgumentException("--bandwidth " + bandwidth + " and --theta-init " + thetaInit + " must be positive");
            if (expansion <= 0) throw new IllegalArgumentException("--expansion " + expansion + " must be positive");
            if (!(lr > 0) || lr > 1) throw new IllegalArgumentException("--lr " + lr + " must be in (0, 1]");
            if (batch <= 0) throw new IllegalArgumentException("--batch " + batch + " must be positive");
            if (tokens < batch) throw new IllegalArgumentException("--tokens " + tokens + " is less than one batch of " + batch);
            if (!(l1 >= 0) || !(auxCoefficient >= 0)) throw new IllegalArgumentException("l1 and the AuxK coefficient must be >= 0");
        }

        public static Options topk(int k, int expansion, double lr, int batch, long tokens, long seed) {
            return new Options(SaeConfig.Architecture.TOPK, k, expansion, lr, batch, tokens, seed, 0, 1.0 / 32, 0, 1_000_000, 20);
        }
    }

    /** Figures of the last logEvery steps' batches (FVU and L0 measured on the training batches before each step). */
    /** @param prefixFvu Matryoshka: the FVU of each nested prefix's reconstruction (the last is fvu); a plain SAE: {fvu} */
    public record Stats(long step, long tokens, double loss, double auxLoss, double fvu, double l0, double deadFraction, double seconds, double[] prefixFvu) {}

    /** @param dataSeconds time spent waiting for rows (running the model, reading the store), included in seconds */
    /** @param stopped true when a stop request (Ctrl-C) ended the run before its last step (the checkpoint holds it) */
    /** @param times where the steps' time went, phase by phase */
    public record Result(Sae sae, List<Stats> history, long steps, long tokens, double seconds, double dataSeconds, double encoderGflop, double scale, boolean stopped,
                         StepTimes times) {
        public Stats last() { return history.get(history.size() - 1); }
        /** The encoder product's FLOPs (2 B d_in d_sae per step, the dense part of training) per second of SAE work (data time excluded). */
        public double encoderGflops() { return encoderGflop / (seconds - dataSeconds); }
    }

    private SaeTrainer() {}

    /** The checkpoint's file name in an SAE's output directory. */
    public static final String CHECKPOINT = "checkpoint.bin";

    /** Where and how often to save a resumable checkpoint, and when to stop early (Ctrl-C); {@link #NONE}: never. */
    public record Checkpointing(Path file, long everySteps, boolean resume, BooleanSupplier stopRequested) {
        public static final Checkpointing NONE = new Checkpointing(null, 0, false, () -> false);
    }

    public static Result train(ActivationSource src, String hookName, int hookLayer, String modelName, Options o,
                               Parallel par, Progress progress, Consumer<Stats> log) throws IOException {
        return train(src, hookName, hookLayer, modelName, o, par, progress, log, Checkpointing.NONE);
    }

    /**
     * Trains, or with ck.resume() continues the run saved in ck.file(): the weights, Adam's moments,
     * the dead-latent counters and the input scale are restored and the first steps x batch rows of
     * the source are replayed and dropped, so the result is bit-identical to an uninterrupted run.
     */
    public static Result train(ActivationSource src, String hookName, int hookLayer, String modelName, Options o,
                               Parallel par, Progress progress, Consumer<Stats> log, Checkpointing ck) throws IOException {
        int dIn = src.width(), dSae = dIn * o.expansion(), B = o.batch();
        SaeConfig cfg = new SaeConfig(o.arch(), dIn, dSae, o.k(), hookName, hookLayer, true, modelName);
        int kAux = Math.min(dSae, o.kAux() > 0 ? o.kAux() : Math.max(1, dIn / 2));
        boolean jump = o.arch() == SaeConfig.Architecture.JUMPRELU;
        Sae sae = new Sae(cfg);
        float[] logTheta = new float[jump ? dSae : 0];
        float[][] params = jump ? new float[][]{sae.wEncT, sae.bEnc, sae.wDec, sae.bDec, logTheta} : new float[][]{sae.wEncT, sae.bEnc, sae.wDec, sae.bDec};
        Adam adam = new Adam(params, o.lr(), par);
        long[] sinceFired = new long[dSae];
        float[] x = new float[B * dIn];
        long first = 0;
        float scale;
        long t0 = System.nanoTime(), dataNanos = 0;
        if (ck.resume()) {
            SaeCheckpoint.State st = SaeCheckpoint.load(ck.file(), src.describe() + " at " + hookName, o, dIn, sae.threshold, adam, sinceFired);
            first = st.steps(); scale = st.scale();
            if (first >= o.tokens() / B) throw new IllegalArgumentException("--resume: " + ck.file() + " has done " + first + " steps already; raise --tokens to continue");
            long d0 = System.nanoTime();
            for (long r = 0; r < first; r++) src.next(x, B);   // replay the rows already trained on
            dataNanos += System.nanoTime() - d0;
        } else {
            src.next(x, B);
            scale = (float) scaleOf(x, B, dIn);
            for (int i = 0; i < x.length; i++) x[i] *= scale;
            initialise(sae, x, B, o);
            if (jump) { Arrays.fill(logTheta, (float) Math.log(o.thetaInit())); thetaFromLog(logTheta, sae.threshold); }
        }
        float[] gWEncT = adam.grad(0), gBEnc = adam.grad(1), gWDec = adam.grad(2), gBDec = adam.grad(3), gLogTheta = jump ? adam.grad(4) : null;
        float[] gTheta = new float[jump ? dSae : 0];
        long steps = o.tokens() / B;
        List<Stats> history = new ArrayList<>();
        Step s = new Step(B, dIn, dSae, kAux, prefixBounds(o.matryoshka(), dSae));
        StepTimes times = s.times = new StepTimes(par.threads() == 1);
        double lossSum = 0, auxSum = 0, errSum = 0, varSum = 0, l0Sum = 0;
        double[] prefixErrSum = new double[s.bounds.length];
        int window = 0;
        double gflop = 0;
        boolean stopped = false;
        long step = first;
        for (; step < steps; step++) {
            if (ck.stopRequested().getAsBoolean()) { stopped = true; break; }
            if (step > first || ck.resume()) {
                long d0 = System.nanoTime();
                src.next(x, B);
                dataNanos += System.nanoTime() - d0;
                for (int i = 0; i < x.length; i++) x[i] *= scale;
            }
            times.startStep();   // the gradients are zero: Adam's step leaves them so
            boolean[] dead = new boolean[dSae];
            boolean anyDead = false;
            for (int i = 0; i < dSae; i++) if (sinceFired[i] >= o.deadAfterTokens()) { dead[i] = true; anyDead = true; }
            s.forwardBackward(sae, x, o, anyDead && o.arch().usesK() && o.auxCoefficient() > 0 ? dead : null,
                    gWEncT, gBEnc, gWDec, gBDec, gTheta, par);
            gflop += 2.0 * B * dIn * dSae / 1e9;
            for (int i = 0; i < dSae; i++) sinceFired[i] = s.fired[i] ? 0 : sinceFired[i] + B;
            lossSum += s.loss; auxSum += s.auxLoss; errSum += s.err; varSum += s.var; l0Sum += s.l0;
            for (int g = 0; g < prefixErrSum.length; g++) prefixErrSum[g] += s.prefixErr[g];
            removeParallel(sae.wDec, gWDec, dSae, dIn, par);
            times.lap(StepTimes.Phase.DECODER_NORM);
            if (jump) for (int i = 0; i < dSae; i++) gLogTheta[i] = gTheta[i] * sae.threshold[i];   // theta = exp(log theta)
            adam.setLrFactor(lrFactor(step, steps, o.lrDecay()));
            adam.step();
            times.lap(StepTimes.Phase.ADAM);
            normalizeRows(sae.wDec, dSae, dIn, par);
            times.lap(StepTimes.Phase.DECODER_NORM);
            if (jump) thetaFromLog(logTheta, sae.threshold);
            if (o.arch() == SaeConfig.Architecture.BATCHTOPK && Float.isFinite(s.minKept))   // the inference threshold: a running mean of the smallest kept activation
                Arrays.fill(sae.threshold, step == 0 ? s.minKept : (1 - THRESHOLD_RATE) * sae.threshold[0] + THRESHOLD_RATE * s.minKept);
            times.endStep();
            if (!Double.isFinite(s.loss)) throw new IllegalStateException("SAE loss is " + s.loss + " at step " + step + ": lower --lr");
            window++;
            if (window == o.logEvery() || step == steps - 1) {
                int dead2 = 0;
                for (long f : sinceFired) if (f >= o.deadAfterTokens()) dead2++;
                Stats st = new Stats(step + 1, (step + 1) * B, lossSum / window, auxSum / window, errSum / varSum, l0Sum / window,
                        (double) dead2 / dSae, (System.nanoTime() - t0) / 1e9, divide(prefixErrSum, varSum));
                history.add(st);
                if (log != null) log.accept(st);
                lossSum = auxSum = errSum = varSum = l0Sum = 0; window = 0;
                Arrays.fill(prefixErrSum, 0);
            }
            if (ck.file() != null && ck.everySteps() > 0 && (step + 1) % ck.everySteps() == 0 && step + 1 < steps)
                SaeCheckpoint.save(ck.file(), src.describe() + " at " + hookName, o, step + 1, scale, sae.threshold, adam, sinceFired);
            progress.update((step + 1) * B, steps * B);
        }
        if (ck.file() != null) SaeCheckpoint.save(ck.file(), src.describe() + " at " + hookName, o, step, scale, sae.threshold, adam, sinceFired);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (history.isEmpty()) history.add(new Stats(step, step * B, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, seconds, new double[0]));
        return new Result(unscale(sae, scale), history, step, step * B, seconds, dataNanos / 1e9, gflop, scale, stopped, times);
    }

    private static double[] divide(double[] a, double b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] / b;
        return out;
    }

    /** The learning rate's factor at a step: 1, then falling linearly to 0 over the last decay fraction of the steps. */
    static double lrFactor(long step, long steps, double decay) {
        long decaySteps = Math.round(steps * decay);
        if (decaySteps == 0 || step < steps - decaySteps) return 1;
        return (double) (steps - step) / decaySteps;
    }

    /** The ends of a Matryoshka SAE's nested prefixes, the last d_sae (widths equal to d_sae are dropped); {d_sae} for a plain SAE. */
    static int[] prefixBounds(int[] widths, int dSae) {
        int[] b = new int[widths.length + 1];
        int n = 0;
        for (int w : widths) {
            if (w > dSae) throw new IllegalArgumentException("--matryoshka width " + w + " exceeds d_sae " + dSae);
            if (w < dSae) b[n++] = w;
        }
        b[n++] = dSae;
        return Arrays.copyOf(b, n);
    }

    /** BatchTopK: weight of each batch's smallest kept activation in the running threshold (SAELens' rate). */
    static final float THRESHOLD_RATE = 0.01f;

    private static void thetaFromLog(float[] logTheta, float[] theta) {
        for (int i = 0; i < theta.length; i++) theta[i] = (float) Math.exp(logTheta[i]);
    }

    /** The starting point, on a scaled batch x [B, d_in]: b_dec its geometric median, W_dec random unit rows, W_enc = W_dec^T. */
    static void initialise(Sae sae, float[] x, int B, Options o) {
        int dIn = sae.dIn(), dSae = sae.dSae();
        SplittableRandom rnd = new SplittableRandom(o.seed());
        System.arraycopy(GeometricMedian.of(x, B, dIn, 30), 0, sae.bDec, 0, dIn);
        for (int i = 0; i < dSae; i++) {
            double norm = 0;
            for (int j = 0; j < dIn; j++) { float v = (float) gaussian(rnd); sae.wDec[i * dIn + j] = v; norm += v * v; }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int j = 0; j < dIn; j++) sae.wDec[i * dIn + j] *= inv;
        }
        System.arraycopy(sae.wDec, 0, sae.wEncT, 0, dSae * dIn);
    }

    /** c with mean |c x| = sqrt(d_in). */
    static double scaleOf(float[] x, int n, int d) {
        double s = 0;
        for (int r = 0; r < n; r++) {
            double q = 0;
            for (int j = 0; j < d; j++) q += (double) x[r * d + j] * x[r * d + j];
            s += Math.sqrt(q);
        }
        double mean = s / n;
        if (!(mean > 0) || !Double.isFinite(mean)) throw new IllegalStateException("the activations' mean norm is " + mean + ": nothing to train on");
        return Math.sqrt(d) / mean;
    }

    /** The SAE on unscaled inputs: W_enc c, b_dec / c, W_dec / c (the code f is unchanged). */
    static Sae unscale(Sae s, float c) {
        Sae u = s.copy();
        for (int i = 0; i < u.wEncT.length; i++) { u.wEncT[i] *= c; u.wDec[i] /= c; }
        for (int j = 0; j < u.bDec.length; j++) u.bDec[j] /= c;
        return u;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    static void removeParallel(float[] w, float[] g, int rows, int d, Parallel par) {
        par.forRange(rows, 64, (from, to) -> {
            for (int i = from; i < to; i++) {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += (double) w[i * d + j] * g[i * d + j];
                float p = (float) dot;
                for (int j = 0; j < d; j++) g[i * d + j] -= p * w[i * d + j];
            }
        });
    }

    static void normalizeRows(float[] w, int rows, int d, Parallel par) {
        par.forRange(rows, 64, (from, to) -> {
            for (int i = from; i < to; i++) {
                double q = 0;
                for (int j = 0; j < d; j++) q += (double) w[i * d + j] * w[i * d + j];
                if (q == 0) continue;
                float inv = (float) (1 / Math.sqrt(q));
                for (int j = 0; j < d; j++) w[i * d + j] *= inv;
            }
        });
    }

    /** One training step's forward and sparse backward, with its buffers. */
    static final class Step {
        final int B, dIn, dSae, kAux;
        final float[] xc, pre, recon, dRecon, dAux;
        final boolean[] fired;
        /** Matryoshka: the ends of the nested prefixes (the last is d_sae; one prefix for a plain SAE) and each latent's group (the first prefix holding it). */
        final int[] bounds, group;
        /** [groups][B, d_in]: dSuffix[g] = sum over prefixes p >= g of dL/d x_hat_p, the gradient a latent of group g sees; dSuffix[0] is dRecon. */
        final float[][] dSuffix;
        /** Matryoshka: per prefix, the sum over rows of |x_hat_p - x|^2 of the last batch. */
        final double[] prefixErr;
        // entries: (row, latent, f, kind, dpre); kind 0 = main code, 1 = AuxK
        int[] eRow, eLat; float[] eVal, eGrad; byte[] eKind;
        int entries;
        float minKept;   // the smallest activation kept (BatchTopK's threshold estimate)
        int[] rowStart;
        // TopK's selection, [B, k] slots and a count per row
        private int[] topIdx, topCount;
        private float[] topVal;
        double loss, auxLoss, err, var, l0;
        StepTimes times = new StepTimes(false);

        Step(int B, int dIn, int dSae, int kAux) { this(B, dIn, dSae, kAux, new int[]{dSae}); }

        Step(int B, int dIn, int dSae, int kAux, int[] bounds) {
            this.B = B; this.dIn = dIn; this.dSae = dSae; this.kAux = kAux; this.bounds = bounds;
            group = new int[dSae];
            for (int g = 0, i = 0; g < bounds.length; g++) for (; i < bounds[g]; i++) group[i] = g;
            dSuffix = new float[bounds.length][];
            for (int g = 1; g < bounds.length; g++) dSuffix[g] = new float[B * dIn];
            prefixErr = new double[bounds.length];
            xc = new float[B * dIn]; pre = new float[B * dSae]; recon = new float[B * dIn]; dRecon = dSuffix[0] = new float[B * dIn];
            dAux = new float[B * dIn]; fired = new boolean[dSae];
            rowStart = new int[B + 1];
            int cap = B * 64;
            eRow = new int[cap]; eLat = new int[cap]; eVal = new float[cap]; eGrad = new float[cap]; eKind = new byte[cap];
        }

        private void add(int row, int lat, float v, byte kind) {
            if (entries == eRow.length) {
                int cap = eRow.length * 2;
                eRow = Arrays.copyOf(eRow, cap); eLat = Arrays.copyOf(eLat, cap); eVal = Arrays.copyOf(eVal, cap);
                eGrad = Arrays.copyOf(eGrad, cap); eKind = Arrays.copyOf(eKind, cap);
            }
            eRow[entries] = row; eLat[entries] = lat; eVal[entries] = v; eKind[entries] = kind; entries++;
        }

        /** b_enc added to the pre-activation row at off. */
        private static void addBias(float[] pre, int off, float[] bEnc) {
            for (int i = 0; i < bEnc.length; i++) pre[off + i] += bEnc[i];
        }

        /**
         * TopK's activation: rows in parallel, each given b_enc and then its k largest positive
         * pre-activations (while the row is in cache), into fixed slots of k; then listed in row order.
         */
        private long selectTopK(float[] bEnc, int k, Parallel par) {
            int kk = Math.min(k, dSae);
            if (topCount == null || topIdx.length < B * kk) { topIdx = new int[B * kk]; topVal = new float[B * kk]; topCount = new int[B]; }
            par.forRange(B, 16, (from, to) -> {
                int[] idx = new int[kk];
                float[] val = new float[kk];
                for (int r = from; r < to; r++) {
                    addBias(pre, r * dSae, bEnc);
                    int m = TopK.select(pre, r * dSae, dSae, kk, idx, val);
                    System.arraycopy(idx, 0, topIdx, r * kk, m);
                    System.arraycopy(val, 0, topVal, r * kk, m);
                    topCount[r] = m;
                }
            });
            long active = 0;
            for (int r = 0; r < B; r++) {
                rowStart[r] = entries;
                for (int a = 0; a < topCount[r]; a++) { add(r, topIdx[r * kk + a], topVal[r * kk + a], (byte) 0); fired[topIdx[r * kk + a]] = true; }
                active += topCount[r];
            }
            return active;
        }

        /**
         * BatchTopK's training activation: the k B largest positive pre-activations of the whole
         * batch (ties at the cut go to the lower row, then the lower latent); fewer if fewer are positive.
         */
        private long selectBatch(int k) {
            long want = (long) k * B, positives = 0;
            int n = B * dSae;
            for (int i = 0; i < n; i++) if (pre[i] > 0) positives++;
            float cut = positives <= want ? 0f : TopK.kthLargestPositive(pre, n, want);
            long above = 0;
            for (int i = 0; i < n; i++) if (pre[i] > cut) above++;
            long atCut = positives <= want ? 0 : want - above;   // how many values equal to the cut to keep
            for (int r = 0; r < B; r++) {
                rowStart[r] = entries;
                for (int i = 0; i < dSae; i++) {
                    float v = pre[r * dSae + i];
                    boolean keep = v > cut || (v == cut && v > 0 && atCut > 0);
                    if (!keep) continue;
                    if (!(v > cut)) atCut--;
                    add(r, i, v, (byte) 0); fired[i] = true;
                    minKept = Math.min(minKept, v);
                }
            }
            return entries;
        }

        /**
         * Forward and backward of one batch x [B, d_in]; gradients are added to the g arrays. For
         * jumprelu, gTheta [d_sae] receives dL/dtheta by the straight-through estimator (it is overwritten).
         */
        void forwardBackward(Sae sae, float[] x, Options o, boolean[] dead, float[] gWEncT, float[] gBEnc, float[] gWDec, float[] gBDec, float[] gTheta, Parallel par) {
            float[] bDec = sae.bDec;
            for (int r = 0; r < B; r++) for (int j = 0; j < dIn; j++) xc[r * dIn + j] = x[r * dIn + j] - bDec[j];
            times.lap(StepTimes.Phase.CENTER);
            Gemm.multiply(pre, 0, dSae, xc, 0, dIn, false, sae.wEncT, 0, dIn, true, B, dIn, dSae, Gemm.Zeros.C_BEFORE, par);
            boolean topk = o.arch() == SaeConfig.Architecture.TOPK;
            if (!topk) par.forRange(B, 16, (from, to) -> { for (int r = from; r < to; r++) addBias(pre, r * dSae, sae.bEnc); });   // TopK adds it row by row as it selects
            times.lap(StepTimes.Phase.ENCODE);
            // activation, row by row (serial: the entry list is in row order)
            entries = 0;
            Arrays.fill(fired, false);
            int[] idx = new int[Math.max(dSae, 1)];
            float[] val = new float[Math.max(dSae, 1)];
            long active = 0;
            minKept = Float.POSITIVE_INFINITY;
            if (o.arch() == SaeConfig.Architecture.BATCHTOPK) active = selectBatch(o.k());
            else if (topk) active = selectTopK(sae.bEnc, o.k(), par);
            else for (int r = 0; r < B; r++) {
                rowStart[r] = entries;
                int m = switch (o.arch()) {
                    case TOPK -> TopK.select(pre, r * dSae, dSae, o.k(), idx, val);
                    case JUMPRELU -> Sae.jump(pre, r * dSae, dSae, sae.threshold, idx, val);
                    default -> reluRow(pre, r * dSae, dSae, idx, val);
                };
                for (int a = 0; a < m; a++) { add(r, idx[a], val[a], (byte) 0); fired[idx[a]] = true; }
                active += m;
            }
            rowStart[B] = entries;
            l0 = (double) active / B;
            times.lap(StepTimes.Phase.SELECT);
            // reconstruction and its error, per row
            int G = bounds.length;
            double[] rowErr = new double[B * G], rowAux = new double[B];
            int[] auxStart = new int[B + 1];
            // prefix g's reconstruction is b_dec plus the active latents of groups 0..g; recon ends as the whole one
            par.forRange(B, 16, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int off = r * dIn;
                    System.arraycopy(bDec, 0, recon, off, dIn);
                    for (int g = 0; g < G; g++) {
                        for (int e = rowStart[r]; e < rowStart[r + 1]; e++) {
                            if (group[eLat[e]] != g) continue;
                            Axpy.vector(eVal[e], sae.wDec, eLat[e] * dIn, recon, off, dIn);
                        }
                        double q = 0;
                        float[] dg = dSuffix[g];
                        for (int j = 0; j < dIn; j++) { float d = recon[off + j] - x[off + j]; q += d * d; dg[off + j] = 2f * d / B; }
                        rowErr[r * G + g] = q;
                    }
                    for (int g = G - 2; g >= 0; g--) for (int j = 0; j < dIn; j++) dSuffix[g][off + j] += dSuffix[g + 1][off + j];
                }
            });
            Arrays.fill(prefixErr, 0);
            double sumLoss = 0;
            for (int r = 0; r < B; r++) for (int g = 0; g < G; g++) { prefixErr[g] += rowErr[r * G + g]; sumLoss += rowErr[r * G + g]; }
            err = prefixErr[G - 1];
            double[] mean = new double[dIn];
            for (int r = 0; r < B; r++) for (int j = 0; j < dIn; j++) mean[j] += x[r * dIn + j];
            double v = 0;
            for (int r = 0; r < B; r++) for (int j = 0; j < dIn; j++) { double d = x[r * dIn + j] - mean[j] / B; v += d * d; }
            var = v;
            loss = sumLoss / B;
            if (o.arch() == SaeConfig.Architecture.RELU && o.l1() > 0) {
                double l1 = 0;
                for (int e = 0; e < entries; e++) l1 += eVal[e];
                loss += o.l1() * l1 / B;
            }
            if (o.arch() == SaeConfig.Architecture.JUMPRELU) {
                loss += o.l1() * l0;
                thresholdGradient(sae, o, gTheta, par);
            }
            times.lap(StepTimes.Phase.DECODE);
            // AuxK: the k_aux largest positive pre-activations among dead latents model the residual x - x_hat
            auxLoss = 0;
            int mainEntries = entries;
            if (dead != null) {
                for (int r = 0; r < B; r++) {
                    auxStart[r] = entries;
                    int m = TopK.selectMasked(pre, r * dSae, dSae, kAux, dead, idx, val);
                    for (int a = 0; a < m; a++) add(r, idx[a], val[a], (byte) 1);
                }
                auxStart[B] = entries;
                float coef = (float) o.auxCoefficient();
                par.forRange(B, 16, (from, to) -> {
                    float[] e = new float[dIn];
                    for (int r = from; r < to; r++) {
                        int off = r * dIn;
                        Arrays.fill(e, 0f);
                        for (int a = auxStart[r]; a < auxStart[r + 1]; a++) {
                            Axpy.vector(eVal[a], sae.wDec, eLat[a] * dIn, e, 0, dIn);
                        }
                        double q = 0;
                        for (int j = 0; j < dIn; j++) {
                            float d = e[j] - (x[off + j] - recon[off + j]);   // target: the main reconstruction's residual (no gradient through it)
                            q += d * d;
                            dAux[off + j] = 2f * coef * d / B;
                        }
                        rowAux[r] = q;
                    }
                });
                double sa = 0;
                for (double q : rowAux) sa += q;
                auxLoss = o.auxCoefficient() * sa / B;
            }
            times.lap(StepTimes.Phase.AUXK);
            float l1 = o.arch() == SaeConfig.Architecture.RELU ? (float) (o.l1() / B) : 0f;   // jumprelu's L0 term passes no gradient to pre
            final int mainEnd = mainEntries;
            // group entries by latent (counting sort keeps row order within a latent)
            int[] latStart = new int[dSae + 1];
            for (int e = 0; e < entries; e++) latStart[eLat[e] + 1]++;
            for (int i = 0; i < dSae; i++) latStart[i + 1] += latStart[i];
            int[] byLat = new int[entries], fill = Arrays.copyOf(latStart, dSae);
            for (int e = 0; e < entries; e++) byLat[fill[eLat[e]]++] = e;
            times.lap(StepTimes.Phase.GROUP);
            // latent by latent (its rows of W_enc, W_dec and their gradients stay in L1): each entry's
            // dL/dpre = (dRecon or dAux) . W_dec[i] (plus the L1 term), then the sparse outer products
            float[] dBEnc = new float[dSae];
            par.forRange(dSae, 16, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int w = i * dIn;
                    float gb = 0;
                    for (int q = latStart[i]; q < latStart[i + 1]; q++) {
                        int e = byLat[q];
                        int off = eRow[e] * dIn;
                        float[] g = eKind[e] == 0 ? dSuffix[group[i]] : dAux;
                        float dp = SparseGradKernel.vector(g, off, sae.wDec, w, eVal[e], gWDec, w, e < mainEnd ? l1 : 0f, xc, off, gWEncT, w, dIn);
                        eGrad[e] = dp;
                        gb += dp;
                    }
                    dBEnc[i] = gb;
                    gBEnc[i] += gb;
                }
            });
            times.lap(StepTimes.Phase.WEIGHT_GRAD);
            // b_dec: + sum over rows of dRecon (the decoder's bias), - W_enc dL/db_enc (through the encoder's
            // input x - b_dec: every row's sum of dL/dpre_i W_enc[i], regrouped by latent i into one product)
            for (int r = 0; r < B; r++) for (int j = 0; j < dIn; j++) gBDec[j] += dRecon[r * dIn + j];
            float[] throughEncoder = new float[dIn];
            par.forRange(dIn, 64, (from, to) -> {
                for (int i = 0; i < dSae; i++) Axpy.vector(dBEnc[i], sae.wEncT, i * dIn + from, throughEncoder, from, to - from);
            });
            for (int j = 0; j < dIn; j++) gBDec[j] -= throughEncoder[j];
            times.lap(StepTimes.Phase.INPUT_GRAD);
        }

        /**
         * JumpReLU's pseudo-derivatives (Rajamanoharan et al. 2024, rectangle kernel K(u) = 1 for
         * |u| < 1/2, bandwidth eps): d f_i / d theta_i = -(theta_i / eps) K((pre_i - theta_i) / eps) and
         * d H(pre_i - theta_i) / d theta_i = -(1 / eps) K(...), so with loss = mean_r |x_hat - x|^2 +
         * lambda mean_r sum_i H(pre_i - theta_i): dL/dtheta_i = sum over rows with |pre_ri - theta_i| <
         * eps/2 of -(theta_i / eps) (dL/df_ri) - lambda / (B eps), where dL/df_ri = dRecon_r . W_dec[i].
         */
        void thresholdGradient(Sae sae, Options o, float[] gTheta, Parallel par) {
            float eps = (float) o.bandwidth(), half = eps / 2, lam = (float) (o.l1() / B / eps);
            par.forRange(dSae, 16, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float th = sae.threshold[i], g = 0;
                    int w = i * dIn;
                    for (int r = 0; r < B; r++) {
                        if (!(Math.abs(pre[r * dSae + i] - th) < half)) continue;
                        float d = 0;
                        for (int j = 0; j < dIn; j++) d += dRecon[r * dIn + j] * sae.wDec[w + j];
                        g += -(th / eps) * d - lam;
                    }
                    gTheta[i] = g;
                }
            });
        }

        private static int reluRow(float[] pre, int off, int n, int[] idx, float[] val) {
            int m = 0;
            for (int i = 0; i < n; i++) { float v = pre[off + i]; if (v > 0) { idx[m] = i; val[m++] = v; } }
            return m;
        }
    }
}
