package dev.actlab.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Wanda's masks on the default decoder against a direct computation from activations captured through hooks. */
class WandaPruningTest {
    @Test
    void everyMaskEqualsTheRowwiseRankOfWeightTimesCapturedInputNorm() throws Exception {
        LlamaModel base = PruningTestModels.brown();
        LlamaConfig c = base.config();
        Calibration calib = PruningTestModels.calibration(base);
        for (PruningPattern p : new PruningPattern[]{PruningPattern.unstructured(0.5), PruningPattern.nm("2:4")}) {
            QuantModel pruned = PruneRun.prune(base, PruningMethod.WANDA, p, calib, (d, t) -> {}).model();
            QuantModel dense = QuantModel.of(base);
            for (int layer = 0; layer < c.layers(); layer++) {
                // Layer L is calibrated through layers 0..L-1 already pruned and its own dense weights.
                QuantModel seen = QuantModel.of(base);
                for (int l = 0; l < layer; l++) for (Linear lin : Linear.values()) seen.setWeight(l, lin, pruned.weight(l, lin).clone());
                LlamaModel through = seen.build();
                for (Linear lin : Linear.values()) {
                    float[][] x = PruningTestModels.inputs(through, calib, layer, lin);
                    int rows = lin.rows(c), cols = lin.cols(c);
                    assertEquals(calib.tokens(), x.length);
                    double[] norm = new double[cols];
                    for (float[] r : x) for (int j = 0; j < cols; j++) norm[j] += (double) r[j] * r[j];
                    for (int j = 0; j < cols; j++) norm[j] = Math.sqrt(norm[j]);
                    float[] w = dense.weight(layer, lin), got = pruned.weight(layer, lin);
                    for (int r = 0; r < rows; r++) {
                        final int row = r;
                        double[] score = IntStream.range(0, cols).mapToDouble(j -> Math.abs(w[row * cols + j]) * norm[j]).toArray();
                        boolean[] expect = new boolean[cols];
                        if (p.isNm()) {
                            for (int g0 = 0; g0 < cols; g0 += 4) {
                                final int g = g0;
                                Integer[] idx = {g, g + 1, g + 2, g + 3};
                                Arrays.sort(idx, Comparator.comparingDouble((Integer j) -> score[j]).thenComparingInt(j -> j));
                                expect[idx[0]] = true; expect[idx[1]] = true;
                            }
                        } else {
                            Integer[] idx = IntStream.range(0, cols).boxed().toArray(Integer[]::new);
                            Arrays.sort(idx, Comparator.comparingDouble((Integer j) -> score[j]).thenComparingInt(j -> j));
                            for (int k = 0; k < Math.round(0.5 * cols); k++) expect[idx[k]] = true;
                        }
                        for (int j = 0; j < cols; j++) {
                            float v = got[r * cols + j];
                            String at = lin.nameAt(layer) + " " + p.label() + " row " + r + " col " + j;
                            if (expect[j]) assertEquals(0f, v, at + " should be pruned");
                            else assertEquals(w[r * cols + j], v, at + " should keep its weight");
                        }
                    }
                }
            }
            assertTrue(PruneRun.sparsity(pruned).stream().allMatch(s -> s.fraction() == 0.5));
        }
    }
}
