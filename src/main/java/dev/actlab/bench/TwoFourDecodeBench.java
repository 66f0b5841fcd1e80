package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.llama.TwoFourCompression;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.prune.MagnitudePruning;
import dev.actlab.prune.PruningPattern;
import dev.actlab.tensor.Parallel;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * `actlab bench --model M --two-four`: decode speed of the same 2:4-sparse float32 weights run dense
 * (F32Matrix, zeros and all) and compressed (TwoFourF32Matrix), in one run. Rounds alternate the two
 * (dense first in even rounds), each prefilling the same random prompt (untimed) and decoding the
 * same fixed tokens, so a loaded machine slows both alike; best and median tokens/s of each, their
 * ratio, and the ratio memory traffic allows: dense bytes per token over compressed bytes per token
 * (the unembedding read whole by both). A model whose block matrices are not 2:4 yet is pruned 2:4
 * by magnitude in memory first (a float32 copy on the heap: fine for 110M, too large for 1B - use
 * `actlab synth --two-four` there). With one thread the decode runs on this thread, so its CPU time
 * is measured too: on a machine shared by other jobs, time-sharing stretches wall time, not CPU time.
 * A round during which the JIT compiled for more than {@link #JIT_SHARE} of either side's decode time is run again
 * (at most {@link #MAX_REPEATS} times a run): the forward pass reaches its optimizing compile after ~1,200 calls,
 * which with 9 rounds of 64 tokens fell in the last round's 2:4 decode (0.7 s of compiling on one of the two cores).
 * Per side it also reports the collections (count and time) and the bytes allocated per token.
 */
public record TwoFourDecodeBench(String model, int promptTokens, int genTokens, int rounds, long seed) {

    public void run(boolean json, PrintWriter out, PrintWriter err) throws IOException {
        if (promptTokens < 1 || genTokens < 1) throw new IllegalArgumentException("--prompt-tokens and --gen-tokens must be >= 1");
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1");
        err.println("bench: loading " + model + " dense...");
        LlamaModel dense = model != null && ModelRef.isRandom(model) ? ModelRef.decoder(model, seed) : ModelLoader.loadDecoder(ModelRef.path(model), false);
        TwoFourCompression.Result c = TwoFourCompression.apply(dense);
        boolean prunedHere = c.compressed() < c.candidates() || c.candidates() == 0;
        if (prunedHere) {
            if (c.candidates() == 0) throw new IllegalArgumentException(dense.source() + " has no float32 block matrices: 2:4 compression runs on F32 weights");
            err.println("bench: " + c.compressed() + " of " + c.candidates() + " block matrices are 2:4; pruning all of them 2:4 by magnitude in memory...");
            dense = MagnitudePruning.prune(dense, PruningPattern.nm("2:4"));
            c = TwoFourCompression.apply(dense);
        }
        LlamaModel sparse = c.model();
        Parallel par = Parallel.shared();
        dense.withParallel(par);
        sparse.withParallel(par);
        int ctx = dense.config().contextLength(), vocab = dense.config().vocabSize();
        if (promptTokens + genTokens > ctx)
            throw new IllegalArgumentException("prompt " + promptTokens + " + generated " + genTokens + " tokens exceed the context length " + ctx);
        SplittableRandom r = new SplittableRandom(seed);
        int[] prompt = r.ints(promptTokens, 0, vocab).toArray(), gen = r.ints(genTokens, 0, vocab).toArray();

        err.println("bench: warm-up...");
        int[] warm = Arrays.copyOf(gen, Math.min(gen.length, 16));
        decode(dense, prompt, warm);
        decode(sparse, prompt, warm);
        double[] d = new double[rounds], s = new double[rounds], dc = new double[rounds], sc = new double[rounds];
        double[] dCost = new double[4], sCost = new double[4];   // totals over the kept rounds: GC count, GC ms, bytes allocated, tokens
        int repeats = 0;
        for (int i = 0; i < rounds; i++) {
            Decode a, b;
            if (i % 2 == 0) { a = decode(dense, prompt, gen); b = decode(sparse, prompt, gen); }
            else { b = decode(sparse, prompt, gen); a = decode(dense, prompt, gen); }
            if ((a.compiledByJit() || b.compiledByJit()) && repeats < MAX_REPEATS) {
                repeats++;
                err.printf("bench: round %d/%d again: the JIT compiled %.0f ms during dense, %.0f ms during 2:4 decode%n", i + 1, rounds, a.jitMs(), b.jitMs());
                i--;
                continue;
            }
            d[i] = a.tokensPerSecond(); dc[i] = a.cpuTokensPerSecond(); s[i] = b.tokensPerSecond(); sc[i] = b.cpuTokensPerSecond();
            a.addCosts(dCost, gen.length);
            b.addCosts(sCost, gen.length);
            err.printf("bench: round %d/%d: dense %.2f tok/s, 2:4 compressed %.2f tok/s%n", i + 1, rounds, d[i], s[i]);
        }
        boolean cpu = par.threads() == 1 && CPU.isCurrentThreadCpuTimeSupported();
        LlamaWeights dw = dense.weights(), sw = sparse.weights();
        long denseBytes = dw.bytesPerToken(), sparseBytes = sw.bytesPerToken();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", dense.source());
        o.put("threads", par.threads());
        o.put("prompt_tokens", promptTokens);
        o.put("gen_tokens", genTokens);
        o.put("rounds", rounds);
        o.put("pruned_in_memory", prunedHere);
        o.put("compressed_matrices", c.compressed());
        o.put("dense_decode_tokens_per_second", d);
        o.put("two_four_decode_tokens_per_second", s);
        o.put("dense", BestMedian.of(d));
        o.put("two_four", BestMedian.of(s));
        o.put("speedup_median", BestMedian.median(s) / BestMedian.median(d));
        o.put("speedup_best", max(s) / max(d));
        o.put("dense_bytes_per_token", denseBytes);
        o.put("two_four_bytes_per_token", sparseBytes);
        o.put("unembedding_bytes", dw.output().byteSize());
        o.put("speedup_limit", (double) denseBytes / sparseBytes);
        o.put("rounds_repeated_for_jit", repeats);
        o.put("dense_gcs_per_token", dCost[0] / dCost[3]);
        o.put("two_four_gcs_per_token", sCost[0] / sCost[3]);
        o.put("dense_gc_ms_per_token", dCost[1] / dCost[3]);
        o.put("two_four_gc_ms_per_token", sCost[1] / sCost[3]);
        o.put("dense_allocated_bytes_per_token", dCost[2] / dCost[3]);
        o.put("two_four_allocated_bytes_per_token", sCost[2] / sCost[3]);
        if (cpu) {
            o.put("dense_cpu", BestMedian.of(dc));
            o.put("two_four_cpu", BestMedian.of(sc));
            o.put("speedup_cpu_median", BestMedian.median(sc) / BestMedian.median(dc));
            o.put("speedup_cpu_best", max(sc) / max(dc));
        }
        o.put("block_matrix_bytes_dense", c.denseBytes());
        o.put("block_matrix_bytes_compressed", c.compressedBytes());
        o.put("memory_saved_bytes", c.savedBytes());
        if (json) { out.println(Json.write(o)); return; }
        out.printf("2:4 decode of %s, %d threads, %d prompt + %d generated tokens, %d alternating rounds%n", dense.source(), par.threads(),
                promptTokens, genTokens, rounds);
        out.printf("%-16s %12s %12s%n", "", "best tok/s", "median tok/s");
        out.printf("%-16s %12.2f %12.2f%n", "dense F32", max(d), BestMedian.median(d));
        out.printf("%-16s %12.2f %12.2f%n", "2:4 compressed", max(s), BestMedian.median(s));
        out.printf("speedup %.2fx median, %.2fx best; memory-traffic limit %.2fx (%,d -> %,d bytes per token, unembedding %,d read whole by both)%n",
                BestMedian.median(s) / BestMedian.median(d), max(s) / max(d), (double) denseBytes / sparseBytes, denseBytes, sparseBytes, dw.output().byteSize());
        out.printf("per token: dense %.2f collections, %.3f ms of GC, %,.0f bytes allocated; 2:4 %.2f, %.3f ms, %,.0f bytes%s%n",
                dCost[0] / dCost[3], dCost[1] / dCost[3], dCost[2] / dCost[3], sCost[0] / sCost[3], sCost[1] / sCost[3], sCost[2] / sCost[3],
                repeats > 0 ? "; " + repeats + " round(s) run again after a JIT compile" : "");
        if (cpu) out.printf("by thread CPU time (1 thread): dense %.2f / %.2f, 2:4 %.2f / %.2f tok/s best / median: speedup %.2fx median, %.2fx best%n",
                max(dc), BestMedian.median(dc), max(sc), BestMedian.median(sc), BestMedian.median(sc) / BestMedian.median(dc), max(sc) / max(dc));
        out.printf("%d block matrices compressed: %,d -> %,d bytes (%,d saved)%s%n", c.compressed(), c.denseBytes(), c.compressedBytes(), c.savedBytes(),
                prunedHere ? "; pruned 2:4 by magnitude in memory" : "");
    }

    private static double max(double[] v) { return Arrays.stream(v).max().orElseThrow(); }

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    /** Share of a decode's wall time the JIT may compile during it before the round is run again; and how many rounds may be. */
    static final double JIT_SHARE = 0.05;
    static final int MAX_REPEATS = 3;

    /** One timed decode: tok/s by wall and thread CPU time; JIT compile ms, GC count and ms, bytes allocated (all threads) during it. */
    record Decode(double tokensPerSecond, double cpuTokensPerSecond, double wallMs, double jitMs, long gcs, long gcMs, long allocated) {
        boolean compiledByJit() { return jitMs > JIT_SHARE * wallMs; }

        void addCosts(double[] c, int tokens) { c[0] += gcs; c[1] += gcMs; c[2] += allocated; c[3] += tokens; }
    }

    /** Decode tokens/s by wall time and by this thread's CPU time: the prompt is prefilled (untimed), then gen is fed one token at a time. */
    private static Decode decode(LlamaModel m, int[] prompt, int[] gen) {
        KvCache cache = m.newCache();
        cache.expectPositions(prompt.length + gen.length);   // sized up front, as generation does: no copies mid-decode
        m.forward(cache, prompt, Hooks.none(), false);
        long j0 = jitMs(), g0 = gcs(), gm0 = gcMs(), a0 = allocated();
        long t0 = System.nanoTime(), c0 = CPU.getCurrentThreadCpuTime();
        for (int t : gen) m.forward(cache, new int[]{t}, Hooks.none(), false);
        long c1 = CPU.getCurrentThreadCpuTime(), t1 = System.nanoTime();
        return new Decode(gen.length / ((t1 - t0) / 1e9), gen.length / ((c1 - c0) / 1e9), (t1 - t0) / 1e6, jitMs() - j0, gcs() - g0, gcMs() - gm0, allocated() - a0);
    }

    private static long jitMs() { return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0; }

    private static long gcs() { return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(g -> Math.max(0, g.getCollectionCount())).sum(); }

    private static long gcMs() { return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(g -> Math.max(0, g.getCollectionTime())).sum(); }

    private static long allocated() {
        return CPU instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported() ? t.getTotalThreadAllocatedBytes() : 0;
    }
}
