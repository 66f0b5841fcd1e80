package dev.actlab.bench;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Where a decode token's time goes, per variant of the KernelChoice switches, alternating the variants
 * over rounds in one process (issue 20). Not a test. Per round and variant: a real greedy decode of GEN
 * tokens (tok/s), then "matmul-only tokens": every layer's wq, wk, wv, wo, gate, up, down and the output
 * matmul in a token's order (so each matrix streams from memory, as in decode, not from the cache),
 * timed per matrix kind. The token's time minus the matmul-only token's is what attention, norms, RoPE,
 * SiLU and the hand-offs between regions cost.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.DecodeProfile MODEL.gguf THREADS ROUNDS base f32StridedRows fusedDecode+fusedMlp ...
 * </pre>
 * A variant is "base" or switch names joined by '+'; every switch named in any variant is set false,
 * then the variant's own ones true.
 */
public final class DecodeProfile {
    private static final String[] KINDS = {"wq", "wk", "wv", "wo", "gate", "up", "down", "output"};

    public static void main(String[] args) throws Exception {
        Parallel.setDefaultThreads(Integer.parseInt(args[1]));
        Parallel par = Parallel.shared();
        LlamaModel m = ModelRef.decoder(args[0], 1);
        m.withParallel(par);
        int rounds = Integer.parseInt(args[2]);
        List<String> variants = Arrays.asList(args).subList(3, args.length);
        Set<String> switches = new LinkedHashSet<>();
        for (String v : variants) if (!v.equals("base")) switches.addAll(Arrays.asList(v.split("\\+")));
        LlamaWeights w = m.weights();
        WeightMatrix[][] kinds = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown(), {w.output()}};
        long[] kindBytes = new long[KINDS.length];
        for (int k = 0; k < KINDS.length; k++) for (WeightMatrix wm : kinds[k]) kindBytes[k] += wm.byteSize();
        int[] prompt = new SplittableRandom(7).ints(8, 0, m.vocabSize()).toArray();
        System.out.printf("model %s, %d threads, %.1f MB of weights a token%n", args[0], par.threads(), w.bytesPerToken() / 1e6);

        int nv = variants.size();
        List<List<Double>> tps = new ArrayList<>(), matmulMs = new ArrayList<>();
        List<List<double[]>> kindMs = new ArrayList<>();
        for (int v = 0; v < nv; v++) { tps.add(new ArrayList<>()); matmulMs.add(new ArrayList<>()); kindMs.add(new ArrayList<>()); }
        for (int r = -1; r < rounds; r++) {   // round -1 warms every variant up
            for (int i = 0; i < nv; i++) {
                int v = Math.floorMod(i + r, nv);   // rotate the order
                for (String s : switches) KernelChoice.class.getField(s).setBoolean(null, false);
                if (!variants.get(v).equals("base")) for (String s : variants.get(v).split("\\+")) KernelChoice.class.getField(s).setBoolean(null, true);
                double t = decode(m, prompt, 16);
                double[] per = matmulToken(kinds, par, 4);
                if (r < 0) continue;
                System.out.printf("  round %d %-30s decode %.2f tok/s, matmul-only token %.2f ms%n", r, variants.get(v), t, Arrays.stream(per).sum());
                tps.get(v).add(t);
                kindMs.get(v).add(per);
                matmulMs.get(v).add(Arrays.stream(per).sum());
            }
        }
        for (int v = 0; v < nv; v++) {
            double[] t = tps.get(v).stream().mapToDouble(d -> d).toArray();
            var bm = BestMedian.of(t);
            double mm = BestMedian.median(matmulMs.get(v).stream().mapToDouble(d -> d).toArray());
            System.out.printf("%-40s decode %.2f / %.2f tok/s (best / median) = %.2f ms/token; matmul-only token %.2f ms (median); rest %.2f ms%n",
                    variants.get(v), bm.get("best"), bm.get("median"), 1e3 / bm.get("median"), mm, 1e3 / bm.get("median") - mm);
            StringBuilder sb = new StringBuilder("    ");
            for (int k = 0; k < KINDS.length; k++) {
                final int kk = k;
                double med = BestMedian.median(kindMs.get(v).stream().mapToDouble(a -> a[kk]).toArray());
                sb.append(String.format("%s %.2f ms %.1f GB/s; ", KINDS[k], med, kindBytes[k] / med / 1e6));
            }
            System.out.println(sb);
        }
    }

    static double decode(LlamaModel m, int[] prompt, int gen) {
        KvCache cache = m.newCache();
        float[] logits = m.forward(cache, prompt, Hooks.none(), false);
        long t0 = System.nanoTime();
        for (int g = 0; g < gen; g++) logits = m.forward(cache, new int[]{argmax(logits)}, Hooks.none(), false);
        return gen / ((System.nanoTime() - t0) / 1e9);
    }

    /** Median over reps of the ms per kind in a token's order of matmuls (layer by layer, then the output). */
    static double[] matmulToken(WeightMatrix[][] kinds, Parallel par, int reps) {
        int layers = kinds[0].length;
        double[][] ms = new double[KINDS.length][reps];
        float[][] xs = new float[KINDS.length][], ys = new float[KINDS.length][];
        for (int k = 0; k < KINDS.length; k++) {
            xs[k] = new float[kinds[k][0].cols()];
            ys[k] = new float[kinds[k][0].rows()];
            for (int i = 0; i < xs[k].length; i++) xs[k][i] = (float) Math.sin(i + k);
        }
        for (int rep = 0; rep < reps; rep++) {
            for (int l = 0; l < layers; l++)
                for (int k = 0; k < KINDS.length - 1; k++) {
                    long t0 = System.nanoTime();
                    kinds[k][l].matmul(xs[k], 1, ys[k], par);
                    ms[k][rep] += (System.nanoTime() - t0) / 1e6;
                }
            long t0 = System.nanoTime();
            kinds[KINDS.length - 1][0].matmul(xs[KINDS.length - 1], 1, ys[KINDS.length - 1], par);
            ms[KINDS.length - 1][rep] += (System.nanoTime() - t0) / 1e6;
        }
        double[] out = new double[KINDS.length];
        for (int k = 0; k < KINDS.length; k++) out[k] = BestMedian.median(ms[k]);
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
