package dev.actlab.sae;

import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;

/**
 * A sparse autoencoder at one hook site, as SAELens defines it:
 * {@code f = act((x - b_dec) W_enc + b_enc)}, {@code x_hat = f W_dec + b_dec}, where act is
 * ReLU ({@code relu}), ReLU of the k largest pre-activations ({@code topk}), or JumpReLU
 * {@code f_i = pre_i H(pre_i - theta_i)} with a threshold per latent ({@code jumprelu}; also
 * {@code batchtopk} at inference, whose thresholds all equal the one global threshold estimated in
 * training, as Bussmann et al. 2024 do).
 *
 * <p>W_enc is kept transposed here, [d_sae, d_in] (a latent's encoder direction is a contiguous
 * row, as in EleutherAI sparsify's {@code encoder.weight}); the dense encoder product is
 * {@link Gemm} with B stored transposed. Decoding a sparse code touches only its active rows of
 * W_dec [d_sae, d_in]. Files hold W_enc as SAELens does, [d_in, d_sae] ({@link SaeFile}).
 */
public final class Sae {
    public final SaeConfig cfg;
    /** [d_sae, d_in]: row i is latent i's encoder direction. */
    public final float[] wEncT;
    public final float[] bEnc;
    /** [d_sae, d_in]: row i is latent i's decoder direction. */
    public final float[] wDec;
    public final float[] bDec;
    /** [d_sae]: JumpReLU's (and inference BatchTopK's) threshold theta per latent; unused (zeros) by relu and topk. */
    public final float[] threshold;

    public Sae(SaeConfig cfg) {
        this(cfg, new float[cfg.dSae() * cfg.dIn()], new float[cfg.dSae()], new float[cfg.dSae() * cfg.dIn()], new float[cfg.dIn()]);
    }

    public Sae(SaeConfig cfg, float[] wEncT, float[] bEnc, float[] wDec, float[] bDec) {
        this(cfg, wEncT, bEnc, wDec, bDec, new float[cfg.dSae()]);
    }

    public Sae(SaeConfig cfg, float[] wEncT, float[] bEnc, float[] wDec, float[] bDec, float[] threshold) {
        int dIn = cfg.dIn(), dSae = cfg.dSae();
        if (wEncT.length != dSae * dIn || bEnc.length != dSae || wDec.length != dSae * dIn || bDec.length != dIn || threshold.length != dSae)
            throw new IllegalArgumentException("SAE weights do not fit d_in " + dIn + ", d_sae " + dSae);
        this.cfg = cfg; this.wEncT = wEncT; this.bEnc = bEnc; this.wDec = wDec; this.bDec = bDec; this.threshold = threshold;
    }

    public int dIn() { return cfg.dIn(); }
    public int dSae() { return cfg.dSae(); }

    /** Pre-activations pre [n, d_sae] = (x - b_dec·apply) W_enc + b_enc for rows x [n, d_in]. */
    public float[] preActivations(float[] x, int n, Parallel par) {
        int dIn = dIn(), dSae = dSae();
        float[] xc = x;
        if (cfg.applyBDecToInput()) {
            xc = new float[n * dIn];
            for (int r = 0; r < n; r++) for (int j = 0; j < dIn; j++) xc[r * dIn + j] = x[r * dIn + j] - bDec[j];
        }
        float[] pre = new float[n * dSae];
        Gemm.multiply(pre, 0, dSae, xc, 0, dIn, false, wEncT, 0, dIn, true, n, dIn, dSae, Gemm.Zeros.C_BEFORE, par);
        for (int r = 0; r < n; r++) for (int i = 0; i < dSae; i++) pre[r * dSae + i] += bEnc[i];
        return pre;
    }

    /** The sparse code of rows x [n, d_in]. */
    public SparseCode encode(float[] x, int n, Parallel par) { return activate(preActivations(x, n, par), n); }

    /** The architecture's activation of pre-activations [n, d_sae]: the nonzero latents of each row. */
    public SparseCode activate(float[] pre, int n) {
        int dSae = dSae();
        SparseCode code = new SparseCode(n);
        int[] idx = new int[dSae];
        float[] val = new float[dSae];
        for (int r = 0; r < n; r++) {
            int m = switch (cfg.architecture()) {
                case TOPK -> TopK.select(pre, r * dSae, dSae, cfg.k(), idx, val);
                case RELU -> relu(pre, r * dSae, dSae, idx, val);
                case JUMPRELU, BATCHTOPK -> jump(pre, r * dSae, dSae, threshold, idx, val);
            };
            code.setRow(r, Arrays.copyOf(idx, m), Arrays.copyOf(val, m));
        }
        return code;
    }

    private static int relu(float[] pre, int off, int dSae, int[] idx, float[] val) {
        int m = 0;
        for (int i = 0; i < dSae; i++) {
            float v = pre[off + i];
            if (v > 0) { idx[m] = i; val[m++] = v; }
        }
        return m;
    }

    /** SAELens' JumpReLU: ReLU(pre) where pre > theta, else 0. */
    static int jump(float[] pre, int off, int dSae, float[] theta, int[] idx, float[] val) {
        int m = 0;
        for (int i = 0; i < dSae; i++) {
            float v = pre[off + i];
            if (v > 0 && v > theta[i]) { idx[m] = i; val[m++] = v; }
        }
        return m;
    }

    /** x_hat [n, d_in] = f W_dec + b_dec. */
    public float[] decode(SparseCode code) {
        int dIn = dIn(), n = code.rows();
        float[] out = new float[n * dIn];
        for (int r = 0; r < n; r++) decodeRow(code.indices(r), code.values(r), out, r * dIn);
        return out;
    }

    /** x_hat [n, d_in] from the latents below width only: a Matryoshka SAE's nested dictionary [0, width). */
    public float[] decodePrefix(SparseCode code, int width) {
        int dIn = dIn(), n = code.rows();
        float[] out = new float[n * dIn];
        for (int r = 0; r < n; r++) {
            int[] idx = code.indices(r);
            float[] val = code.values(r);
            int m = 0;
            for (int i : idx) if (i < width) m++;
            int[] pi = new int[m];
            float[] pv = new float[m];
            for (int a = 0, b = 0; a < idx.length; a++) if (idx[a] < width) { pi[b] = idx[a]; pv[b++] = val[a]; }
            decodeRow(pi, pv, out, r * dIn);
        }
        return out;
    }

    void decodeRow(int[] idx, float[] val, float[] out, int off) {
        int dIn = dIn();
        System.arraycopy(bDec, 0, out, off, dIn);
        for (int a = 0; a < idx.length; a++) {
            int row = idx[a] * dIn;
            float v = val[a];
            for (int j = 0; j < dIn; j++) out[off + j] += v * wDec[row + j];
        }
    }

    /** Reconstruction of rows x [n, d_in]. */
    public float[] reconstruct(float[] x, int n, Parallel par) { return decode(encode(x, n, par)); }

    public Sae copy() { return new Sae(cfg, wEncT.clone(), bEnc.clone(), wDec.clone(), bDec.clone(), threshold.clone()); }
}
