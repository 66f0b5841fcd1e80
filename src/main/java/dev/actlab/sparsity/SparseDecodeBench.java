package dev.actlab.sparsity;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Dense against sparse decode speed in one run: rounds alternate the two (dense first in even
 * rounds, sparse first in odd ones), each decoding the same fixed tokens after the same prompt, so
 * a noisy machine slows both alike. Reports best and median tokens/s of each, their ratios, the
 * measured sparsity, and the speedup that memory traffic allows: dense bytes per token over the
 * bytes the sparse model reads (skipped block columns not read, unembedding read whole).
 *
 * <p>Beside wall-clock tokens/s it reports tokens per second of the decoding thread's own CPU time:
 * on a machine whose cores other processes share, wall time counts the slices given to them, CPU
 * time only the slices this thread ran (memory stalls included). With one thread that is the whole
 * decode; with more, the workers' time is not counted, so the CPU-time figures are given only for one.
 */
public final class SparseDecodeBench {
    public record Result(double[] denseTps, double[] sparseTps, double[] denseCpuTps, double[] sparseCpuTps, double weightSparsity,
                         double meanSiteSparsity, long denseBytesPerToken, double sparseBytesPerToken, long extraBytes) {
        public double bestDense() { return Arrays.stream(denseTps).max().orElse(0); }
        public double bestSparse() { return Arrays.stream(sparseTps).max().orElse(0); }
        public double medianDense() { return median(denseTps); }
        public double medianSparse() { return median(sparseTps); }
        public double speedupBest() { return bestSparse() / bestDense(); }
        public double speedupMedian() { return medianSparse() / medianDense(); }
        public double trafficLimit() { return denseBytesPerToken / sparseBytesPerToken; }
        /** Whether the CPU-time figures were measured (one thread). */
        public boolean hasCpuTime() { return denseCpuTps != null; }
        public double cpuSpeedupMedian() { return median(sparseCpuTps) / median(denseCpuTps); }
        public double cpuSpeedupBest() { return Arrays.stream(sparseCpuTps).max().orElse(0) / Arrays.stream(denseCpuTps).max().orElse(0); }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("dense_decode_tokens_per_second", denseTps);
            j.put("sparse_decode_tokens_per_second", sparseTps);
            j.put("dense_best", bestDense());
            j.put("dense_median", medianDense());
            j.put("sparse_best", bestSparse());
            j.put("sparse_median", medianSparse());
            j.put("speedup", speedupMedian());
            j.put("speedup_best", speedupBest());
            j.put("speedup_limit", trafficLimit());
            j.put("measured_weight_sparsity", weightSparsity);
            j.put("mean_site_sparsity", meanSiteSparsity);
            j.put("dense_bytes_per_token", denseBytesPerToken);
            j.put("sparse_bytes_per_token", sparseBytesPerToken);
            j.put("input_major_extra_bytes", extraBytes);
            if (hasCpuTime()) {
                j.put("dense_cpu_time_tokens_per_second", denseCpuTps);
                j.put("sparse_cpu_time_tokens_per_second", sparseCpuTps);
                j.put("speedup_cpu_time", cpuSpeedupMedian());
                j.put("speedup_cpu_time_best", cpuSpeedupBest());
            }
            return j;
        }
    }

    private SparseDecodeBench() {}

    /** sparse must wrap dense's weights (with input-major copies for the speed). */
    public static Result run(LlamaModel dense, SparseModel sparse, int promptTokens, int genTokens, int rounds, long seed) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        int ctx = dense.config().contextLength();
        if (promptTokens < 1 || genTokens < 1) throw new IllegalArgumentException("prompt and generated tokens must be >= 1");
        if (promptTokens + genTokens > ctx)
            throw new IllegalArgumentException(promptTokens + " prompt + " + genTokens + " generated tokens exceed the context of " + ctx);
        SplittableRandom r = new SplittableRandom(seed);
        int[] prompt = new int[promptTokens], gen = new int[genTokens];
        for (int i = 0; i < prompt.length; i++) prompt[i] = r.nextInt(dense.config().vocabSize());
        for (int i = 0; i < gen.length; i++) gen[i] = r.nextInt(dense.config().vocabSize());
        // warm-up: the JIT compiles both paths before anything is timed
        decode(dense, prompt, Arrays.copyOf(gen, Math.min(gen.length, 16)));
        decode(sparse.model(), prompt, Arrays.copyOf(gen, Math.min(gen.length, 16)));
        sparse.resetCounters();
        double[] d = new double[rounds], s = new double[rounds], dc = new double[rounds], sc = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            double[] a, b;
            if (i % 2 == 0) { a = decode(dense, prompt, gen); b = decode(sparse.model(), prompt, gen); }
            else { b = decode(sparse.model(), prompt, gen); a = decode(dense, prompt, gen); }
            d[i] = a[0]; dc[i] = a[1]; s[i] = b[0]; sc[i] = b[1];
        }
        boolean cpu = dense.parallel().threads() == 1 && sparse.model().parallel().threads() == 1 && CPU.isCurrentThreadCpuTimeSupported();
        LlamaWeights w = dense.weights();
        long denseBytes = w.bytesPerToken();
        long blockBytes = denseBytes - w.output().byteSize();
        double sw = sparse.weightSparsity();
        return new Result(d, s, cpu ? dc : null, cpu ? sc : null, sw, sparse.meanMeasured(), denseBytes, w.output().byteSize() + (1 - sw) * blockBytes, sparse.extraBytes());
    }

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    /**
     * Decode tokens/s by the wall clock and by this thread's CPU time: the prompt is prefilled (untimed),
     * then gen is fed one token at a time.
     */
    static double[] decode(LlamaModel m, int[] prompt, int[] gen) {
        KvCache cache = m.newCache();
        m.forward(cache, prompt, Hooks.none(), false);
        long c0 = CPU.getCurrentThreadCpuTime(), t0 = System.nanoTime();
        for (int t : gen) m.forward(cache, new int[]{t}, Hooks.none(), false);
        long t1 = System.nanoTime(), c1 = CPU.getCurrentThreadCpuTime();
        return new double[]{gen.length / ((t1 - t0) / 1e9), gen.length / ((c1 - c0) / 1e9)};
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
