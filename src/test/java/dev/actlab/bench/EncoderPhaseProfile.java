package dev.actlab.bench;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a MiniLM forward pass spends its wall time, phase by phase, for the speed work of issues 16
 * and 20. Not a test. No-op hooks on the sites that follow each step record the time (sites whose
 * hooks change no path: q/k/v, z, attn_out, mlp_post, mlp_out, resid_pre), so "attn_out -> mlp_post"
 * is LayerNorm 1 + the MLP's first matmul and GELU, "mlp_out -> resid_pre" LayerNorm 2, and so on.
 * Prints each phase's median over the calls, summed over the layers, and the whole call's median.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.EncoderPhaseProfile BATCH SEQ THREADS CALLS [w8a8[:recipe]]
 * </pre>
 */
public final class EncoderPhaseProfile {
    private static final String[] STEPS = {"hook_resid_pre", "attn.hook_v", "attn.hook_z", "hook_attn_out", "mlp.hook_post", "hook_mlp_out"};
    private static final String[] PHASES = {"q, k, v", "attention", "attn out matmul", "LN1 + mlp in + GELU", "mlp out matmul", "LN2"};

    public static void main(String[] args) throws Exception {
        int batch = Integer.parseInt(args[0]), seq = Integer.parseInt(args[1]), threads = Integer.parseInt(args[2]), calls = Integer.parseInt(args[3]);
        BertModel m = ModelRef.encoder("minilm");
        if (args.length > 4) m = dev.actlab.quant.EncoderW8A8.quantize(m, dev.actlab.quant.EncoderW8A8.Spec.parse(args[4]));
        int layers = m.layers();
        try (Parallel par = new Parallel(threads)) {
            m.withParallel(par);
            int[][] ids = OnnxRuntimeComparison.inputs(m, batch, seq, 42);
            long[][] stamps = new long[layers][STEPS.length];
            Hooks hooks = new Hooks();
            for (int s = 0; s < STEPS.length; s++) {
                int step = s;
                hooks.add(name -> name.startsWith("blocks.") && name.endsWith(STEPS[step]), a -> {
                    int layer = Integer.parseInt(a.name.substring(7, a.name.indexOf('.', 7)));
                    if (a.batchIndex == 0) stamps[layer][step] = System.nanoTime();
                });
            }
            double[][] phase = new double[PHASES.length][calls];
            double[] total = new double[calls], embed = new double[calls];
            for (int c = -calls; c < calls; c++) {   // as many warm-up calls first
                long t0 = System.nanoTime();
                m.forward(ids, null, hooks);
                long t1 = System.nanoTime();
                if (c < 0) continue;
                total[c] = (t1 - t0) / 1e6;
                embed[c] = (stamps[0][0] - t0) / 1e6;
                for (int l = 0; l < layers; l++)
                    for (int p = 0; p < PHASES.length; p++) {
                        long end = p + 1 < STEPS.length ? stamps[l][p + 1] : l + 1 < layers ? stamps[l + 1][0] : t1;
                        phase[p][c] += (end - stamps[l][p]) / 1e6;
                    }
            }
            Map<String, Double> out = new LinkedHashMap<>();
            out.put("embeddings + LN", BestMedian.median(embed));
            for (int p = 0; p < PHASES.length; p++) out.put(PHASES[p], BestMedian.median(phase[p]));
            System.out.printf("%s%s %d x %d, %d thread(s), %d calls: median ms per call (all layers)%n", m.source(), args.length > 4 ? " " + args[4] : "", batch, seq, threads, calls);
            double sum = 0;
            for (var e : out.entrySet()) { System.out.printf("  %-22s %7.3f%n", e.getKey(), e.getValue()); sum += e.getValue(); }
            System.out.printf("  %-22s %7.3f (phases' medians summed %.3f; best call %.3f)%n", "whole call", BestMedian.median(total), sum, Arrays.stream(total).min().orElseThrow());
        }
    }
}
