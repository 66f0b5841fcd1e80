package dev.actlab.bench;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.sparsity.SparseInputMatrix;
import dev.actlab.sparsity.SparseModel;
import dev.actlab.sparsity.SparsitySpec;
import dev.actlab.sparsity.Thresholds;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Whole-model decode: dense against the TEAL-sparse model under several settings of the column kernels'
 * benchmark switches, all in one process, the contenders' order rotated every round, so a neighbour's
 * load hits all alike (issue 17). Not a test. Each SETTING is CLASS.FIELD=VALUE[,CLASS.FIELD=VALUE...] on a
 * static int or boolean field of dev.actlab.tensor (e.g. InputMajorF32.passColumns=4) or of dev.actlab.sparsity (named
 * sparsity.CLASS.FIELD), or "default".
 * Prints per contender best / median tok/s and the median of per-round ratios to dense.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.SparseDecodeAB MODEL.gguf teal:0.5 ROUNDS GEN_TOKENS SETTING...
 * </pre>
 */
public final class SparseDecodeAB {
    public static void main(String[] args) throws Exception {
        LlamaModel m = ModelRef.decoder(args[0]);
        int rounds = Integer.parseInt(args[2]), gen = Integer.parseInt(args[3]);
        String[] settings = Arrays.copyOfRange(args, 4, args.length);
        Thresholds th = SparsitySpec.resolve(args[1], m, null, Integer.getInteger("calibTokens", 256), Progress.NONE);
        SparseModel s = SparseModel.of(m, th, true);
        int[] prompt = new SplittableRandom(7).ints(16, 0, m.config().vocabSize()).toArray();
        int[] tokens = new SplittableRandom(8).ints(gen, 0, m.config().vocabSize()).toArray();
        int k = settings.length + 1;   // contender 0: dense
        double[][] tps = new double[k][rounds];
        java.util.Map<String, double[]> shapes = new java.util.TreeMap<>();   // -Dactlab.timeSparseDecode: "contender shape" -> ms a token
        double[][] split = new double[k][2];
        double[] allocated = new double[k];   // bytes allocated a token, all threads (timed rounds)
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();   // -Dactlab.timeSparseDecode: ms a token building kept-index lists, in GEMVs (timed rounds)
        for (int r = -1; r < rounds; r++)   // round -1 warms every path up
            for (int i = 0; i < k; i++) {
                int c = (i + Math.max(0, r)) % k;
                Runnable undo = c == 0 ? () -> {} : apply(settings[c - 1]);
                SparseInputMatrix.INDEX_NANOS.reset();
                SparseInputMatrix.GEMV_NANOS.reset();
                SparseInputMatrix.SHAPE_NANOS.clear();
                long a0 = mx.getTotalThreadAllocatedBytes();
                double t = decode(c == 0 ? m : s.model(), prompt, tokens);
                if (r >= 0) allocated[c] += (mx.getTotalThreadAllocatedBytes() - a0) / (double) (tokens.length + 1) / rounds;
                if (r >= 0 && SparseInputMatrix.timeDecode)
                    for (var e : SparseInputMatrix.SHAPE_NANOS.entrySet())
                        shapes.computeIfAbsent(c + " " + e.getKey(), q -> new double[1])[0] += e.getValue().sum() / 1e6 / tokens.length / rounds;
                undo.run();
                if (r >= 0) {
                    tps[c][r] = t;
                    split[c][0] += SparseInputMatrix.INDEX_NANOS.sumThenReset() / 1e6 / tokens.length / rounds;
                    split[c][1] += SparseInputMatrix.GEMV_NANOS.sumThenReset() / 1e6 / tokens.length / rounds;
                }
            }
        for (var e : shapes.entrySet()) System.out.printf("  contender %s: %.3f ms a token%n", e.getKey(), e.getValue()[0]);
        if (Boolean.getBoolean("actlab.countColumnTasks")) {
            Class<?> cc = Class.forName("dev.actlab.tensor.ColumnChunks");
            Field onCaller = cc.getDeclaredField("TASKS_ON_CALLER"), onWorkers = cc.getDeclaredField("TASKS_ON_WORKERS");
            onCaller.setAccessible(true); onWorkers.setAccessible(true);
            System.out.printf("column-kernel tasks run by the calling thread: %s, by workers: %s%n", onCaller.get(null), onWorkers.get(null));
            Field alone = cc.getDeclaredField("CALLS_WITHOUT_WORKER");
            alone.setAccessible(true);
            for (var e : ((java.util.Map<?, ?>) alone.get(null)).entrySet()) {
                long[] v = (long[]) e.getValue();
                System.out.printf("  %-26s %7d calls, %5.1f%% without a worker%n", e.getKey(), v[0] + v[1], 100.0 * v[1] / (v[0] + v[1]));
            }
        }
        System.out.printf("%s %s, %d threads, %d rounds of %d tokens (tok/s best / median; ratio to dense: median of per-round ratios)%n",
                args[0], args[1], m.parallel().threads(), rounds, gen);
        for (int c = 0; c < k; c++) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = tps[c][r] / tps[0][r];
            System.out.printf("  %-50s %7.2f / %7.2f  %.3fx  (%.0f KB allocated a token)%n", c == 0 ? "dense" : "sparse " + settings[c - 1],
                    max(tps[c]), BestMedian.median(tps[c]), BestMedian.median(ratio), allocated[c] / 1024);
            if (SparseInputMatrix.timeDecode && c > 0)
                System.out.printf("  %-50s %.2f ms a token in all (mean), %.3f ms building kept-index lists, %.2f ms in column GEMVs%n", "",
                        Arrays.stream(tps[c]).map(v -> 1000 / v).average().orElse(0), split[c][0], split[c][1]);
        }
    }

    /** Sets the fields of one setting; returns what puts the old values back. */
    static Runnable apply(String setting) throws Exception {
        if (setting.equals("default")) return () -> {};
        Runnable undo = () -> {};
        for (String part : setting.split(",")) {
            String name = part.substring(0, part.indexOf('=')), value = part.substring(part.indexOf('=') + 1);
            String owner = name.substring(0, name.lastIndexOf('.'));
            Field f = Class.forName(owner.startsWith("sparsity.") ? "dev.actlab." + owner : "dev.actlab.tensor." + owner).getDeclaredField(name.substring(name.lastIndexOf('.') + 1));
            f.setAccessible(true);
            Object old = f.get(null);
            if (f.getType() == int.class) f.setInt(null, Integer.parseInt(value));
            else f.setBoolean(null, Boolean.parseBoolean(value));
            Runnable before = undo;
            undo = () -> { try { f.set(null, old); } catch (IllegalAccessException e) { throw new IllegalStateException(e); } before.run(); };
        }
        return undo;
    }

    static double decode(LlamaModel m, int[] prompt, int[] gen) {
        KvCache cache = m.newCache();
        m.forward(cache, prompt, Hooks.none(), false);
        long t0 = System.nanoTime();
        for (int t : gen) m.forward(cache, new int[]{t}, Hooks.none(), false);
        return gen.length / ((System.nanoTime() - t0) / 1e9);
    }

    static double max(double[] v) { return Arrays.stream(v).max().orElse(Double.NaN); }
}
