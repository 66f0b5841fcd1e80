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
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Structured pruning on the default decoder: whole units removed, per-block budgets, and the channels a direct computation picks. */
class StructuredPruningTest {
    @Test
    void removesWholeChannelsAndHeadsOfLeastOutputEnergyWithinEachBlockBudget() throws Exception {
        LlamaModel base = PruningTestModels.brown();
        LlamaConfig c = base.config();
        Calibration calib = PruningTestModels.calibration(base);
        PruneRun.Pruned pr = PruneRun.prune(base, PruningMethod.STRUCTURED, PruningPattern.unstructured(0.5), calib, (d, t) -> {});
        QuantModel q = pr.model(), dense = QuantModel.of(base);
        double[] budget = (double[]) pr.details().get("block_sparsity");
        assertEquals(0.5, Arrays.stream(budget).average().orElseThrow(), 1e-6, "the blocks' mean sparsity is the target");
        int dim = c.dim(), hidden = c.hiddenDim(), dh = c.headSize(), qd = c.qDim();
        for (int l = 0; l < c.layers(); l++) {
            float[] gate = q.weight(l, Linear.GATE), up = q.weight(l, Linear.UP), down = q.weight(l, Linear.DOWN), denseDown = dense.weight(l, Linear.DOWN);
            float[][] h = PruningTestModels.inputs(base, calib, l, Linear.DOWN);
            double[] energy = new double[hidden];
            for (int ch = 0; ch < hidden; ch++) {
                double s = 0, col = 0;
                for (float[] t : h) s += (double) t[ch] * t[ch];
                for (int i = 0; i < dim; i++) col += (double) denseDown[i * hidden + ch] * denseDown[i * hidden + ch];
                energy[ch] = s * col;
            }
            Integer[] order = IntStream.range(0, hidden).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer ch) -> energy[ch]).thenComparingInt(ch -> ch));
            boolean[] expect = new boolean[hidden];
            for (int k = 0; k < Math.round(budget[l] * hidden); k++) expect[order[k]] = true;
            for (int ch = 0; ch < hidden; ch++) {
                final int cc = ch;
                boolean gone = IntStream.range(0, dim).allMatch(i -> gate[cc * dim + i] == 0 && up[cc * dim + i] == 0 && down[i * hidden + cc] == 0);
                boolean any = IntStream.range(0, dim).anyMatch(i -> gate[cc * dim + i] == 0 || up[cc * dim + i] == 0 || down[i * hidden + cc] == 0);
                assertEquals(expect[ch], gone, "layer " + l + " channel " + ch);
                assertEquals(gone, any, "layer " + l + " channel " + ch + ": removed whole or not at all");
            }
            float[] wq = q.weight(l, Linear.Q), o = q.weight(l, Linear.O);
            int heads = 0;
            for (int hd = 0; hd < c.heads(); hd++) {
                final int hh = hd;
                boolean qGone = IntStream.range(hh * dh * dim, (hh + 1) * dh * dim).allMatch(i -> wq[i] == 0);
                boolean oGone = IntStream.range(0, dim).allMatch(i -> IntStream.range(0, dh).allMatch(x -> o[i * qd + hh * dh + x] == 0));
                assertEquals(qGone, oGone, "layer " + l + " head " + hd);
                if (qGone) heads++;
            }
            assertEquals(Math.round(budget[l] * c.heads()), heads, "layer " + l + " heads");
        }
        Map<String, Object> d = pr.details();
        assertTrue(d.containsKey("block_importance") && d.containsKey("pruned_heads"));
    }
}
