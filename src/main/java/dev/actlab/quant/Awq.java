package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * AWQ (Lin et al. 2024, activation-aware weight quantization): the weights that meet large
 * activations matter most, so scale them up before rounding (they lose less relative precision) and
 * fold the inverse scale into whatever produces the input ({@link ChannelScales}). Per input of a
 * block (q/k/v, gate/up, down, o) the scale is s = mean|x|^alpha, normalized by sqrt(max s * min s),
 * with alpha searched over {0, 1/grid, ..., (grid-1)/grid} for the least output error
 * |Q(W diag(s)) diag(s)^-1 X - W X|^2 summed over the projections reading it, on a sample of
 * calibration tokens. Then every projection is rounded to nearest. Layer by layer: layer L's inputs
 * come from layers 0..L-1 already scaled and quantized. Inputs rotated online (after hadamard) are
 * not scaled (no exact fold); their projections are only rounded.
 */
public record Awq(Quantizer quantizer, int grid) implements QuantStep {
    /** Calibration tokens per input used to score a candidate scale. */
    static final int SAMPLE_TOKENS = 1024;

    public Awq {
        if (grid < 1) throw new IllegalArgumentException("awq grid must be >= 1, got " + grid);
    }

    @Override public boolean calibrates() { return true; }

    @Override public String describe() { return "awq(w=" + quantizer.format().name() + ", g=" + quantizer.granularity() + ", grid=" + grid + ")"; }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        if (calib == null) throw new IllegalArgumentException("awq needs calibration text");
        LlamaConfig c = m.config();
        int L = m.layers();
        long W = calib.windows();
        Parallel par = Parallel.shared();
        int perWindow = (int) Math.max(1, SAMPLE_TOKENS / W);
        for (int l = 0; l < L; l++) {
            final long before = l * W;
            final int layer = l;
            List<ChannelScales.Site> sites = new ArrayList<>();
            for (ChannelScales.Site s : ChannelScales.Site.values()) {
                boolean rotated = (s == ChannelScales.Site.DOWN_IN || s == ChannelScales.Site.O_IN) && m.input(l, s.readers.get(0)).rotation() != null;
                if (!rotated) sites.add(s);
            }
            EnumSet<Linear> keys = EnumSet.noneOf(Linear.class);
            for (ChannelScales.Site s : sites) keys.add(s.readers.get(0));
            Sample[] samples = new Sample[Linear.values().length];
            for (Linear k : keys) samples[k.ordinal()] = new Sample(k.cols(c));
            if (!keys.isEmpty())
                calib.collect(m, l, l, keys, (ly, lin, x, n, cols) -> samples[lin.ordinal()].add(x, n, perWindow),
                        (done, all) -> progress.update(before + done, L * W));
            for (ChannelScales.Site site : sites) {
                Sample smp = samples[site.readers.get(0).ordinal()];
                float[] s = search(m, layer, site, smp, par);
                ChannelScales.fold(m, layer, site, site == ChannelScales.Site.O_IN ? ChannelScales.reducePerKv(c, s, false) : s);
            }
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin).clone();
                quantizer.apply(w, 0, lin.rows(c), lin.cols(c));
                m.setQuantizedWeight(l, lin, w, quantizer);
            }
            progress.update((l + 1) * W, L * W);
        }
        m.log(describe());
    }

    /** mean |x_j| over every calibration token, and a sample of rows for scoring. */
    static final class Sample {
        final int cols;
        final double[] absSum;
        long tokens;
        float[] rows = new float[0];
        int n;

        Sample(int cols) { this.cols = cols; this.absSum = new double[cols]; }

        void add(float[] x, int count, int keep) {
            for (int t = 0; t < count; t++) for (int j = 0; j < cols; j++) absSum[j] += Math.abs(x[t * cols + j]);
            tokens += count;
            int k = Math.min(keep, count);
            rows = java.util.Arrays.copyOf(rows, (n + k) * cols);
            for (int i = 0; i < k; i++) {
                int t = (int) ((long) i * count / k);                 // evenly spaced positions of the window
                System.arraycopy(x, t * cols, rows, (n + i) * cols, cols);
            }
            n += k;
        }

        float[] meanAbs() {
            float[] m = new float[cols];
            for (int j = 0; j < cols; j++) m[j] = (float) (absSum[j] / Math.max(1, tokens));
            return m;
        }
    }

    /**
     * The best scales for one input: per input channel ([q_dim] for o, where the fold then averages
     * each group's heads; the search scores the per-value-channel scales the fold will actually use).
     */
    float[] search(QuantModel m, int layer, ChannelScales.Site site, Sample smp, Parallel par) {
        LlamaConfig c = m.config();
        float[] sx = smp.meanAbs();
        if (site == ChannelScales.Site.O_IN) sx = ChannelScales.expandPerHead(c, ChannelScales.reducePerKv(c, sx, false));
        int cols = smp.cols, n = smp.n;
        List<float[]> reference = new ArrayList<>();                   // W X for each reader
        for (Linear lin : site.readers) {
            float[] out = new float[n * lin.rows(c)];
            F32Matrix.of(m.weight(layer, lin), lin.rows(c), cols).matmul(smp.rows, n, out, par);
            reference.add(out);
        }
        double bestErr = Double.POSITIVE_INFINITY;
        float[] best = null;
        for (int k = 0; k < grid; k++) {
            double alpha = (double) k / grid;
            float[] s = new float[cols];
            double mx = 0, mn = Double.POSITIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                double v = Math.pow(Math.max(sx[j], 1e-4f), alpha);
                s[j] = (float) v;
                mx = Math.max(mx, v); mn = Math.min(mn, v);
            }
            float norm = (float) Math.sqrt(mx * mn);
            for (int j = 0; j < cols; j++) s[j] /= norm;
            double err = 0;
            for (int r = 0; r < site.readers.size(); r++) {
                Linear lin = site.readers.get(r);
                int rows = lin.rows(c);
                float[] w = m.weight(layer, lin).clone();
                ChannelScales.scaleColumns(w, rows, s);
                quantizer.apply(w, 0, rows, cols);
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) w[i * cols + j] /= s[j];
                float[] out = new float[n * rows];
                F32Matrix.of(w, rows, cols).matmul(smp.rows, n, out, par);
                float[] ref = reference.get(r);
                for (int i = 0; i < out.length; i++) { double d = out[i] - ref[i]; err += d * d; }
            }
            if (err < bestErr) { bestErr = err; best = s; }
        }
        return best;
    }
}
