package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;

/**
 * QuaRot-style rotation (Ashkboos et al. 2024): the residual stream is rotated by a randomized
 * Hadamard matrix R (R = H D / sqrt(d)) fused into the weights, so that activations entering every
 * projection are spread across channels (outliers flattened) while the float model computes the same
 * function. Then, optionally, online Hadamard rotations of the inputs of the down and output
 * projections, which no preceding weight can absorb.
 *
 * <ol>
 * <li>Norm weights are folded into the projections that read them: W_q,k,v[:, j] *= attn_norm[j],
 *     W_gate,up[:, j] *= ffn_norm[j], unembedding[:, j] *= final_norm[j]; the norms become ones.
 *     RMSNorm without a weight commutes with any orthogonal R (it divides by |x| / sqrt(d), which R keeps).
 * <li>The residual stream becomes R x: embedding rows e -> R e; projections that read the stream
 *     (q, k, v, gate, up, unembedding): W -> W R^T; projections that write to it (o, down): W -> R W.
 *     Embedding and unembedding are untied.
 * <li>Online: the down projection's input h becomes H h with W_down -> W_down H^T (H a Hadamard of the
 *     hidden size); likewise the output projection's input z (all heads) with H of size heads * head_size.
 *     The rotation is done at run time before the activation quantizer (QuaRot's online Hadamard; QuaRot
 *     splits the one before o into an offline per-head part and an online across-heads part, which
 *     together are the same full Hadamard). A size with no Hadamard matrix here gets a random orthogonal matrix.
 * </ol>
 */
public record HadamardRotation(long seed, boolean online) implements QuantStep {
    @Override public String describe() { return "hadamard(seed=" + seed + (online ? "" : ", online=false") + ")"; }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        QuantStep.requireUnquantized(m, "hadamard");
        LlamaConfig c = m.config();
        int L = c.layers(), dim = c.dim(), vocab = c.vocabSize();
        for (int l = 0; l < L; l++)
            if (m.input(l, Linear.DOWN).rotation() != null || m.input(l, Linear.O).rotation() != null)
                throw new IllegalArgumentException("hadamard: the model is rotated already (one rotation per recipe)");
        Rotation r = Rotation.randomizedHadamard(dim, seed);
        m.untie();
        // 1. fold norm weights into the projections that read them
        for (int l = 0; l < L; l++) {
            for (Linear lin : Linear.values()) {
                if (!lin.normed()) continue;
                ChannelScales.scaleColumns(m.weight(l, lin), lin.rows(c), m.normBefore(l, lin));
            }
            java.util.Arrays.fill(m.attnNorm(l), 1f);
            java.util.Arrays.fill(m.ffnNorm(l), 1f);
        }
        ChannelScales.scaleColumns(m.output(), vocab, m.finalNorm());
        java.util.Arrays.fill(m.finalNorm(), 1f);
        progress.update(1, L + 2);
        // 2. rotate the residual stream
        r.rotateRows(m.embedding(), vocab);
        r.rotateRows(m.output(), vocab);
        progress.update(2, L + 2);
        Rotation hDown = online ? Rotation.hadamardOrRandom(c.hiddenDim(), seed + 1) : null;
        Rotation hO = online ? Rotation.hadamardOrRandom(c.qDim(), seed + 2) : null;
        for (int l = 0; l < L; l++) {
            for (Linear lin : new Linear[]{Linear.Q, Linear.K, Linear.V, Linear.GATE, Linear.UP}) r.rotateRows(m.weight(l, lin), lin.rows(c));
            r.rotateColumns(m.weight(l, Linear.O), Linear.O.cols(c));
            r.rotateColumns(m.weight(l, Linear.DOWN), Linear.DOWN.cols(c));
            // 3. online rotations of the inputs no weight can absorb
            if (online) {
                hDown.rotateRows(m.weight(l, Linear.DOWN), Linear.DOWN.rows(c));
                m.setInput(l, Linear.DOWN, m.input(l, Linear.DOWN).withRotation(hDown));
                hO.rotateRows(m.weight(l, Linear.O), Linear.O.rows(c));
                m.setInput(l, Linear.O, m.input(l, Linear.O).withRotation(hO));
            }
            progress.update(l + 3, L + 2);
        }
        m.log(describe() + " [" + r + (online ? "; online " + hO + ", " + hDown : "") + "]");
    }
}
