package dev.actlab.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import org.junit.jupiter.api.Test;

/** The masks every method writes on the default decoder: N:M groups and per-row fractions, counted in the weights. */
class PruningPatternTest {
    @Test
    void nmKeepsExactlyNOfEveryMConsecutiveInputsAndUnstructuredTheFractionOfEveryRow() throws Exception {
        LlamaModel base = PruningTestModels.brown();
        LlamaConfig c = base.config();
        Calibration calib = PruningTestModels.calibration(base);
        PruningPattern[] patterns = {PruningPattern.nm("2:4"), PruningPattern.nm("4:8"), PruningPattern.unstructured(0.3), PruningPattern.unstructured(0.6)};
        for (PruningMethod method : new PruningMethod[]{PruningMethod.MAGNITUDE, PruningMethod.WANDA, PruningMethod.SPARSEGPT})
            for (PruningPattern p : patterns) {
                QuantModel q = PruneRun.prune(base, method, p, calib, (d, t) -> {}).model();
                for (int l = 0; l < c.layers(); l++)
                    for (Linear lin : Linear.values()) {
                        float[] w = q.weight(l, lin);
                        int rows = lin.rows(c), cols = lin.cols(c);
                        String what = method.label() + " " + p.label() + " " + lin.nameAt(l);
                        for (int r = 0; r < rows; r++) {
                            if (p.isNm()) {
                                for (int g = 0; g < cols; g += p.m()) {
                                    int nonZero = 0;
                                    for (int j = g; j < g + p.m(); j++) if (w[r * cols + j] != 0) nonZero++;
                                    assertEquals(p.n(), nonZero, what + " row " + r + " group at " + g);
                                }
                            } else {
                                int zeros = 0;
                                for (int j = 0; j < cols; j++) if (w[r * cols + j] == 0) zeros++;
                                assertEquals(Math.round(p.sparsity() * cols), zeros, what + " row " + r);
                            }
                        }
                    }
            }
    }

    @Test
    void parsesAndRefusesPatterns() {
        PruningPattern p = PruningPattern.nm("4:8");
        assertEquals(4, p.n());
        assertEquals(8, p.m());
        assertEquals(0.5, p.sparsity());
        assertEquals(0.25, PruningPattern.nm(" 3:4 ").sparsity());
        for (String bad : new String[]{"4:2", "0:4", "4:4", "2-4", "a:b", "2:4:8", ""})
            assertTrue(assertThrows(IllegalArgumentException.class, () -> PruningPattern.nm(bad)).getMessage().contains("--nm"), bad);
        for (double bad : new double[]{1, -0.1, 1.5, Double.NaN})
            assertTrue(assertThrows(IllegalArgumentException.class, () -> PruningPattern.unstructured(bad)).getMessage().contains("[0, 1)"), "" + bad);
    }

    /**
     * Magnitude pruning is one rule for both kinds of model: a LlamaModel pruned in memory holds exactly the
     * weights of quant's working copy pruned by actlab prune, keeps the base's embedding, norms and
     * unembedding objects, and at 2:4 equals the tensor room's own 2:4 magnitude rule (TwoFourF32Matrix,
     * written independently) wherever no two magnitudes of a group tie.
     */
    @Test
    void magnitudePruningIsOneRuleForLlamaModelAndQuantModel() throws Exception {
        LlamaModel base = PruningTestModels.brown();
        LlamaConfig c = base.config();
        QuantModel denseCopy = QuantModel.of(base);
        for (PruningPattern p : new PruningPattern[]{PruningPattern.nm("2:4"), PruningPattern.unstructured(0.5)}) {
            LlamaModel inMemory = MagnitudePruning.prune(base, p);
            QuantModel q = PruneRun.prune(base, PruningMethod.MAGNITUDE, p, null, (d, t) -> {}).model();
            assertTrue(inMemory.weights().tokenEmbedding() == base.weights().tokenEmbedding() && inMemory.weights().output() == base.weights().output());
            dev.actlab.tensor.WeightMatrix[][] mats = {inMemory.weights().wq(), inMemory.weights().wk(), inMemory.weights().wv(), inMemory.weights().wo(),
                    inMemory.weights().wGate(), inMemory.weights().wUp(), inMemory.weights().wDown()};
            for (int l = 0; l < c.layers(); l++)
                for (Linear lin : Linear.values()) {
                    int rows = lin.rows(c), cols = lin.cols(c);
                    float[] got = new float[rows * cols];
                    for (int r = 0; r < rows; r++) mats[lin.ordinal()][l].dequantizeRow(r, got, r * cols);
                    assertTrue(java.util.Arrays.equals(q.weight(l, lin), got), p.label() + " " + lin.nameAt(l));
                    if (!p.isNm()) continue;
                    float[] dense = denseCopy.weight(l, lin), tensorRule = dense.clone();
                    dev.actlab.tensor.TwoFourF32Matrix.keepLargestTwo(tensorRule, 0, tensorRule.length);
                    for (int g = 0; g < dense.length; g += 4) {
                        java.util.Set<Float> mags = new java.util.HashSet<>();
                        for (int j = g; j < g + 4; j++) mags.add(Math.abs(dense[j]));
                        if (mags.size() < 4) continue;                 // a tie: the two rules may keep different members
                        for (int j = g; j < g + 4; j++) assertEquals(tensorRule[j], got[j], lin.nameAt(l) + " at " + j);
                    }
                }
        }
    }
}
