package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@code actlab prune} does, without the command line: prune a copy of a decoder, write it as
 * GGUF, read the file back, measure the zeros of every pruned matrix in it, and evaluate the model read
 * back against the dense one (perplexity and llama-perplexity's KLD statistics, {@link PairedPerplexity}).
 * Pruned: the seven projections of every block (q, k, v, o, gate, up, down); never the embedding,
 * the unembedding or the norms.
 */
public final class PruneRun {
    private PruneRun() {}

    /** Zeros of one matrix, counted in its stored values. */
    public record MatrixSparsity(String name, long zeros, long total) {
        public double fraction() { return (double) zeros / total; }
    }

    /** One pruned model measured against its dense base. */
    public record Result(PruningMethod method, PruningPattern pattern, List<MatrixSparsity> matrices, QuantizationStats stats,
                         double pruneSeconds, Map<String, Object> details) {
        /** Zeros over all pruned matrices together. */
        public double sparsity() {
            long z = 0, n = 0;
            for (MatrixSparsity m : matrices) { z += m.zeros(); n += m.total(); }
            return (double) z / n;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("method", method.label());
            j.put("pattern", pattern.isNm() ? pattern.n() + ":" + pattern.m() : "unstructured");
            j.put("target_sparsity", pattern.sparsity());
            j.put("measured_sparsity", sparsity());
            j.put("prune_seconds", pruneSeconds);
            j.putAll(stats.toJson());
            List<Map<String, Object>> ms = new ArrayList<>();
            for (MatrixSparsity m : matrices) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", m.name());
                e.put("zeros", m.zeros());
                e.put("values", m.total());
                e.put("sparsity", m.fraction());
                ms.add(e);
            }
            j.put("matrices", ms);
            if (!details.isEmpty()) j.put("structured", details);
            return j;
        }

        /** Per layer, the sparsity of each projection, as a text table. */
        public String sparsityTable() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-7s", "layer"));
            for (Linear lin : Linear.values()) b.append(String.format(Locale.ROOT, "%13s", lin.ggufName));
            b.append('\n');
            for (int i = 0; i < matrices.size(); i += Linear.values().length) {
                b.append(String.format(Locale.ROOT, "%-7d", i / Linear.values().length));
                for (int k = 0; k < Linear.values().length; k++) b.append(String.format(Locale.ROOT, "%12.2f%%", 100 * matrices.get(i + k).fraction()));
                b.append('\n');
            }
            return b.append(String.format(Locale.ROOT, "all pruned matrices: %.2f%% zeros%n", 100 * sparsity())).toString();
        }
    }

    /** A pruned copy of the base (the base is not changed), and what the method chose. */
    public record Pruned(QuantModel model, Map<String, Object> details, double seconds) {}

    public static Pruned prune(LlamaModel base, PruningMethod method, PruningPattern p, Calibration calib, Progress progress) {
        long t0 = System.nanoTime();
        QuantModel q = QuantModel.of(base);
        Map<String, Object> details = method.apply(q, p, calib, progress);
        return new Pruned(q, details, (System.nanoTime() - t0) / 1e9);
    }

    /** The zeros of every block projection of a model, layer by layer in q, k, v, o, gate, up, down order. */
    public static List<MatrixSparsity> sparsity(QuantModel m) {
        List<MatrixSparsity> out = new ArrayList<>();
        for (int l = 0; l < m.layers(); l++)
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin);
                long z = 0;
                for (float v : w) if (v == 0) z++;
                out.add(new MatrixSparsity(lin.nameAt(l) + ".weight", z, w.length));
            }
        return out;
    }

    /**
     * Prunes, writes out (GGUF, metadata of source kept), reads it back and evaluates the file's model
     * against the base on the windows. progress gets "prune", "write" and "evaluate".
     */
    public static Result run(LlamaModel base, Path source, PruningMethod method, PruningPattern p, Calibration calib, int[][] evalWindows,
                             Path out, Function<String, Progress> progress) throws IOException {
        Pruned pr = prune(base, method, p, calib, progress.apply("prune"));
        PrunedGguf.write(pr.model(), source, out, progress.apply("write"));
        LlamaModel back = ModelLoader.loadDecoder(out);
        List<MatrixSparsity> measured = sparsity(QuantModel.of(back));
        QuantizationStats stats = PairedPerplexity.run(base, List.of(back), evalWindows, progress.apply("evaluate")).get(0);
        return new Result(method, p, measured, stats, pr.seconds(), pr.details());
    }
}
