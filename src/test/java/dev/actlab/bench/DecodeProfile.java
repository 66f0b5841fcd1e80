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
 * then the variant's own ones true. With -DinDecode=PROMPT,GEN, the last variant then decodes with every
 * matrix timed (ms per token inside matmul calls per kind, and outside them), once per round.
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
        if (System.getProperty("inDecode") != null) {   // -DinDecode=PROMPT,GEN: where the token's time goes inside decode itself
            String[] pg = System.getProperty("inDecode").split(",");
            for (String name : System.getProperties().stringPropertyNames())   // -Dkc.SWITCH=true|false sets a switch for this part
                if (name.startsWith("kc.")) KernelChoice.class.getField(name.substring(3)).setBoolean(null, Boolean.parseBoolean(System.getProperty(name)));
            inDecode(m, new SplittableRandom(7).ints(Integer.parseInt(pg[0]), 0, m.vocabSize()).toArray(), Integer.parseInt(pg[1]), rounds);
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

    /**
     * The same greedy decode (prompt, then gen tokens) with every matrix wrapped in a timer: ms per token inside
     * each kind's matmul calls, as decode runs them (the caller's wall time from the call to the return), the rest
     * of the token (everything the caller does outside matmul calls), and the token. Printed per round.
     */
    static void inDecode(LlamaModel m, int[] prompt, int gen, int rounds) {
        LlamaWeights w = m.weights();
        long[] nanos = new long[KINDS.length];
        WeightMatrix[][] kinds = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
        WeightMatrix[][] timed = new WeightMatrix[kinds.length][];
        for (int k = 0; k < kinds.length; k++) {
            timed[k] = new WeightMatrix[kinds[k].length];
            for (int l = 0; l < kinds[k].length; l++) timed[k][l] = new Timed(kinds[k][l], nanos, k);
        }
        LlamaWeights tw = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), timed[0], timed[1], timed[2], timed[3], w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), timed[4], timed[6], timed[5], w.finalNorm(), new Timed(w.output(), nanos, KINDS.length - 1));
        LlamaModel tm = new LlamaModel(m.config(), tw, m.tokenizer(), m.source()).withParallel(m.parallel());
        for (int r = -1; r < rounds; r++) {
            Arrays.fill(nanos, 0);
            KvCache cache = tm.newCache();
            cache.expectPositions(prompt.length + gen);
            float[] logits = tm.forward(cache, prompt, Hooks.none(), false);
            Arrays.fill(nanos, 0);
            long gc0 = gcMillis(), t0 = System.nanoTime(), argmaxNanos = 0;
            for (int g = 0; g < gen; g++) {
                long a0 = System.nanoTime();
                int next = argmax(logits);
                argmaxNanos += System.nanoTime() - a0;
                logits = tm.forward(cache, new int[]{next}, Hooks.none(), false);
            }
            double token = (System.nanoTime() - t0) / 1e6 / gen, inside = Arrays.stream(nanos).sum() / 1e6 / gen;
            double gc = (gcMillis() - gc0) / (double) gen, am = argmaxNanos / 1e6 / gen;
            if (r < 0) continue;
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < KINDS.length; k++) sb.append(String.format("%s %.2f ", KINDS[k], nanos[k] / 1e6 / gen));
            System.out.printf("  in decode, round %d: token %.2f ms = matmul calls %.2f ms + outside them %.2f ms, of which GC %.3f ms and argmax %.3f ms (%s)%n",
                    r, token, inside, token - inside, gc, am, sb.toString().trim());
        }
    }

    private static long gcMillis() {
        long ms = 0;
        for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) ms += Math.max(0, b.getCollectionTime());
        return ms;
    }

    /** A matrix whose matmul calls add their wall time to nanos[kind]. */
    private record Timed(WeightMatrix m, long[] nanos, int kind) implements WeightMatrix {
        @Override public int rows() { return m.rows(); }
        @Override public int cols() { return m.cols(); }
        @Override public dev.actlab.tensor.DType dtype() { return m.dtype(); }
        @Override public float dot(int row, float[] x, int xOff) { return m.dot(row, x, xOff); }
        @Override public float dotScalar(int row, float[] x, int xOff) { return m.dotScalar(row, x, xOff); }
        @Override public void dequantizeRow(int row, float[] dst, int off) { m.dequantizeRow(row, dst, off); }
        @Override public long byteSize() { return m.byteSize(); }
        @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
            long t0 = System.nanoTime();
            m.matmul(x, n, out, par);
            nanos[kind] += System.nanoTime() - t0;
        }
        @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) { m.matmulRows(x, n, out, from, to); }
    }

    static double decode(LlamaModel m, int[] prompt, int gen) {
        KvCache cache = m.newCache();
        cache.expectPositions(prompt.length + gen);
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
