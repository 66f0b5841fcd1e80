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
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * In-process A/B of a kernel switch (KernelChoice) and a decode profile, for the speed work of
 * issue 20. Not a test (timings do not belong in tests). The machine is shared: rounds alternate
 * old and new so a neighbour's load hits both alike; the ratio new/old is what to read.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.SpeedAB MODEL.gguf (prefill|decode) SWITCH ROUNDS [PROMPT GEN]
 * java ... dev.actlab.bench.SpeedAB MODEL.gguf profile
 * </pre>
 * SWITCH is a field of KernelChoice: the old path is false, the new one true. Decode prefills PROMPT tokens (8)
 * and times GEN greedy tokens (32) after them; `actlab bench`'s decode is 16 and 64.
 */
public final class SpeedAB {
    public static void main(String[] args) throws Exception {
        LlamaModel m = ModelRef.decoder(args[0], 1);
        Parallel par = Parallel.shared();
        m.withParallel(par);
        System.out.println("model " + args[0] + ", " + par.threads() + " threads");
        if (args[1].equals("profile")) { profile(m, par); return; }
        String mode = args[1];
        var field = KernelChoice.class.getField(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int promptTokens = args.length > 4 ? Integer.parseInt(args[4]) : 8, gen = args.length > 5 ? Integer.parseInt(args[5]) : 32;
        int[] prompt = new SplittableRandom(7).ints(128, 0, m.vocabSize()).toArray();
        Consumer<Boolean> set = v -> { try { field.setBoolean(null, v); } catch (IllegalAccessException e) { throw new IllegalStateException(e); } };
        List<Double> oldT = new ArrayList<>(), newT = new ArrayList<>();
        for (int r = -1; r < rounds; r++) {   // round -1 warms both up
            for (boolean v : r % 2 == 0 ? new boolean[]{false, true} : new boolean[]{true, false}) {
                set.accept(v);
                double tps = mode.equals("prefill") ? prefill(m, prompt) : decode(m, java.util.Arrays.copyOf(prompt, promptTokens), gen);
                if (r >= 0) (v ? newT : oldT).add(tps);
            }
        }
        set.accept(true);
        double[] o = oldT.stream().mapToDouble(d -> d).toArray(), n = newT.stream().mapToDouble(d -> d).toArray();
        var bo = BestMedian.of(o); var bn = BestMedian.of(n);
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) ratios[i] = n[i] / o[i];
        System.out.printf("%s %s: old best %.2f median %.2f tok/s; new best %.2f median %.2f tok/s; ratio best %.3f, median %.3f, median of per-round ratios %.3f%n",
                mode, args[2], bo.get("best"), bo.get("median"), bn.get("best"), bn.get("median"),
                bn.get("best") / bo.get("best"), bn.get("median") / bo.get("median"), BestMedian.median(ratios));
    }

    static double prefill(LlamaModel m, int[] prompt) {
        long t0 = System.nanoTime();
        m.forward(m.newCache(), prompt, Hooks.none(), false);
        return prompt.length / ((System.nanoTime() - t0) / 1e9);
    }

    static double decode(LlamaModel m, int[] prompt, int gen) {
        KvCache cache = m.newCache();
        cache.expectPositions(prompt.length + gen);
        float[] logits = m.forward(cache, prompt, Hooks.none(), false);
        long t0 = System.nanoTime();
        for (int g = 0; g < gen; g++) logits = m.forward(cache, new int[]{argmax(logits)}, Hooks.none(), false);
        return gen / ((System.nanoTime() - t0) / 1e9);
    }

    /** Decode (one token) time per matrix kind over all layers, GB/s of its weights, against the read probe. */
    static void profile(LlamaModel m, Parallel par) {
        LlamaWeights w = m.weights();
        String[] names = {"wq", "wk", "wv", "wo", "gate", "up", "down", "output"};
        WeightMatrix[][] kinds = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown(), {w.output()}};
        int[] prompt = new SplittableRandom(7).ints(128, 0, m.vocabSize()).toArray();
        try (ReadBandwidth probe = new ReadBandwidth(512L << 20)) {
            for (int round = 0; round < 3; round++) {
                double bw = probe.measure(par, 3);
                double tok = decode(m, java.util.Arrays.copyOf(prompt, 8), 16);
                System.out.printf("round %d: read probe %.1f GB/s; decode %.2f tok/s = %.1f ms/token (%.1f GB/s of weights)%n",
                        round, bw, tok, 1e3 / tok, tok * w.bytesPerToken() / 1e9);
                double total = 0;
                for (int k = 0; k < kinds.length; k++) {
                    WeightMatrix[] ms = kinds[k];
                    float[] x = new float[ms[0].cols()], y = new float[ms[0].rows()];
                    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                    long bytes = 0, best = Long.MAX_VALUE;
                    for (WeightMatrix wm : ms) bytes += wm.byteSize();
                    for (int rep = 0; rep < 3; rep++) {
                        long t0 = System.nanoTime();
                        for (WeightMatrix wm : ms) wm.matmul(x, 1, y, par);
                        best = Math.min(best, System.nanoTime() - t0);
                    }
                    total += best / 1e6;
                    System.out.printf("  %-7s %2d x [%6d, %5d] %-5s %7.2f ms  %6.1f GB/s (%4.0f%% of probe)%n", names[k], ms.length, ms[0].rows(), ms[0].cols(),
                            ms[0].dtype(), best / 1e6, bytes / (double) best, 100 * bytes / (double) best / bw);
                }
                System.out.printf("  sum of matmuls %.2f ms; rest of the token (attention, norms, handoffs) %.2f ms%n", total, 1e3 / tok - total);
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
