package dev.actlab.model.llama;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.TwoFourF32Matrix;
import dev.actlab.tensor.WeightMatrix;

/**
 * Stores the 2:4-sparse block matrices of a decoder compressed. A float32 block linear (q, k, v, o,
 * gate, up, down) whose every group of 4 consecutive inputs of every row holds at most 2 non-zeros
 * (an `actlab prune --nm 2:4` output, or any file whose zeros fall that way) becomes a
 * {@link TwoFourF32Matrix}: half the values plus their positions, 56% of the bytes, read by a GEMV
 * that skips the zeros. Other matrices, the embedding and the unembedding stay as loaded. The
 * forward pass is unchanged; results equal the dense path up to float rounding (the order of the
 * sums differs). Model loaders apply this by default; -Dactlab.twoFour=off (for the launcher:
 * ACTLAB_JAVA_OPTS=-Dactlab.twoFour=off) or {@code ModelLoader.loadDecoder(path, false)} keeps
 * everything dense.
 */
public final class TwoFourCompression {
    /** System property that turns the compression off when set to "off" (or "false"). */
    public static final String PROPERTY = "actlab.twoFour";

    private TwoFourCompression() {}

    /** The model and what the compression did: matrices compressed of the F32 block matrices, their bytes before and after. */
    public record Result(LlamaModel model, int compressed, int candidates, long denseBytes, long compressedBytes) {
        /** Heap bytes the compressed copies take less than the same matrices dense. */
        public long savedBytes() { return denseBytes - compressedBytes; }
    }

    /** False when -Dactlab.twoFour=off (or false). */
    public static boolean enabled() {
        String v = System.getProperty(PROPERTY, "on").trim();
        return !(v.equalsIgnoreCase("off") || v.equalsIgnoreCase("false"));
    }

    /** base with its 2:4 float32 block matrices compressed (base itself when none is 2:4). */
    public static Result apply(LlamaModel base) {
        LlamaWeights w = base.weights();
        int[] counts = new int[2];
        long[] bytes = new long[2];
        WeightMatrix[][] m = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
        WeightMatrix[][] c = new WeightMatrix[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
            for (int l = 0; l < c[i].length; l++) c[i][l] = compressed(c[i][l], counts, bytes);
        }
        if (counts[0] == 0) return new Result(base, 0, counts[1], 0, 0);
        LlamaWeights cw = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), c[0], c[1], c[2], c[3], w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), c[4], c[6], c[5], w.finalNorm(), w.output());
        LlamaModel model = new LlamaModel(base.config(), cw, base.tokenizer(), base.source()).withParallel(base.parallel());
        return new Result(model, counts[0], counts[1], bytes[0], bytes[1]);
    }

    /** m compressed when it is float32 and 2:4 (counts[0]++, bytes before/after added), else m; counts[1] counts F32 candidates. */
    private static WeightMatrix compressed(WeightMatrix m, int[] counts, long[] bytes) {
        if (m == null || m instanceof TwoFourF32Matrix || m.dtype() != DType.F32) return m;   // null: a plain MLP has no gate
        counts[1]++;
        if (!TwoFourF32Matrix.isTwoFour(m)) return m;
        TwoFourF32Matrix t = TwoFourF32Matrix.of(m);
        counts[0]++;
        bytes[0] += t.denseByteSize();
        bytes[1] += t.byteSize();
        return t;
    }
}
