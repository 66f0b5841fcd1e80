package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cWriter;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.Parallel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * `actlab bench --model DECODER`: decoder speed against what the machine can do, measured in the
 * same run: rounds alternate a read-bandwidth probe and the model (prefill of promptTokens, then
 * greedy decode of genTokens), so a neighbour's load hits both alike. Decode is compared with
 * the best read bandwidth of the run (weights streamed per token), prefill with the best FP32
 * FMA peak.
 *
 * @param model         a --model reference (random:SHAPE draws its weights from seed)
 * @param seed          seed of random weights and of the prompt
 * @param exportLlama2c also write the model there as a llama2.c checkpoint, or null
 */
public record DecoderBench(String model, int promptTokens, int genTokens, int rounds, int probeMb, long seed,
                           boolean hookOverhead, Path exportLlama2c) {

    /** Measures on the shared pool; prints a table or JSON to out, progress to err. */
    public void run(boolean json, PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        if (promptTokens < 1 || genTokens < 1) throw new IllegalArgumentException("--prompt-tokens and --gen-tokens must be >= 1");
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1");
        Parallel par = Parallel.shared();
        err.println("bench: loading " + model + "...");
        LlamaModel m = ModelRef.decoder(model, seed);
        m.withParallel(par);
        if (exportLlama2c != null) {
            err.println("bench: writing " + exportLlama2c + "...");
            Llama2cWriter.write(m, exportLlama2c);
        }
        LlamaConfig c = m.config();
        if (promptTokens + genTokens > c.contextLength())
            throw new IllegalArgumentException("prompt " + promptTokens + " + generated " + genTokens + " tokens exceed the context length " + c.contextLength());
        int[] prompt = new SplittableRandom(seed).ints(promptTokens, 0, c.vocabSize()).toArray();
        long bytesPerToken = m.weights().bytesPerToken();
        double prefillFlops = prefillFlops(c, promptTokens);

        err.println("bench: measuring dispatch overhead and FMA peak...");
        double dispatchUs = DispatchOverhead.microsPerCall(par, 20000);
        double fma1 = FmaPeak.measure(1, 300), fmaN = FmaPeak.measure(par.threads(), 300);

        // the whole prompt, as llama-bench's warm-up does: every prefill kernel the timed rounds use is compiled first
        err.println("bench: warm-up...");
        runOnce(m, prompt, Math.min(genTokens, 8));
        // memory after loading and a warm-up run, before the bandwidth probe allocates its buffer
        ResidentMemory memory = ResidentMemory.now();
        long fileBytes = modelFileBytes(model), weightBytes = weightBytes(m);

        // per round: bandwidth, prefill tok/s, decode tok/s, FMA peak
        List<double[]> results = new ArrayList<>();
        try (ReadBandwidth probe = new ReadBandwidth((long) probeMb << 20)) {
            for (int r = 0; r < rounds; r++) {
                double bw = probe.measure(par, 3);
                double fma = FmaPeak.measure(par.threads(), 150);
                double[] speed = runOnce(m, prompt, genTokens);
                results.add(new double[]{bw, speed[0], speed[1], fma});
                err.printf("bench: round %d/%d: read %.1f GB/s, FMA %.0f GFLOP/s, prefill %.1f tok/s, decode %.2f tok/s%n",
                        r + 1, rounds, bw, fma, speed[0], speed[1]);
            }
        }
        // a neighbour's load lowers the probes too: compare with the best the machine showed in this run
        double bestBw = results.stream().mapToDouble(x -> x[0]).max().orElseThrow();
        double bestFma = Math.max(fmaN, results.stream().mapToDouble(x -> x[3]).max().orElseThrow());

        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", m.source());
        o.put("parameters", c.parameterCount());
        o.put("weight_bytes_per_token", bytesPerToken);
        o.put("threads", par.threads());
        o.put("prompt_tokens", promptTokens);
        o.put("gen_tokens", genTokens);
        o.put("rounds", rounds);
        o.put("dispatch_overhead_us", dispatchUs);
        o.put("fma_peak_gflops_1_thread", fma1);
        o.put("fma_peak_gflops", bestFma);
        o.put("read_bandwidth_gbs", summary(results, 0, 1));
        o.put("prefill_tokens_per_second", summary(results, 1, 1));
        o.put("prefill_gflops", summary(results, 1, prefillFlops / promptTokens / 1e9));
        o.put("decode_tokens_per_second", summary(results, 2, 1));
        o.put("decode_weight_gbs", summary(results, 2, bytesPerToken / 1e9));
        double[] frac = results.stream().mapToDouble(x -> x[2] * bytesPerToken / 1e9 / bestBw).toArray();
        double[] pfrac = results.stream().mapToDouble(x -> x[1] * prefillFlops / promptTokens / 1e9 / bestFma).toArray();
        o.put("decode_fraction_of_read_bandwidth", BestMedian.of(frac));
        o.put("prefill_fraction_of_fma_peak", BestMedian.of(pfrac));
        o.put("rounds_detail", results.stream().map(x -> Map.of("read_bandwidth_gbs", x[0], "fma_peak_gflops", x[3],
                "prefill_tokens_per_second", x[1], "decode_tokens_per_second", x[2])).toList());

        o.put("memory", memory.toJson(fileBytes, weightBytes));

        Map<String, Map<String, Double>> hooks = null;
        if (hookOverhead) {
            err.println("bench: hook overhead (no hooks / unused hooks / cache every hook_resid_post, alternating)...");
            hooks = HookOverhead.measure(m, prompt, genTokens, Math.max(3, rounds));
            o.put("hook_overhead", hooks);
        }

        if (json) { out.println(Json.write(o)); return; }
        out.printf("model %s: %,d parameters, %.1f MB of weights per decoded token, %d threads%n",
                m.source(), c.parameterCount(), bytesPerToken / 1e6, par.threads());
        out.printf("machine: read bandwidth %s GB/s; FMA peak %.0f GFLOP/s (1 thread %.0f); forRange dispatch %.2f us%n",
                fmt(summary(results, 0, 1), "%.1f"), bestFma, fma1, dispatchUs);
        out.println("memory after load and warm-up: " + memory.line(fileBytes, weightBytes));
        out.printf("%-28s %12s %12s%n", "", "best", "median");
        row(out, "prefill tok/s", summary(results, 1, 1), "%.1f");
        row(out, "prefill GFLOP/s", summary(results, 1, prefillFlops / promptTokens / 1e9), "%.1f");
        row(out, "prefill % of best FMA peak", scale(BestMedian.of(pfrac), 100), "%.1f");
        row(out, "decode tok/s", summary(results, 2, 1), "%.2f");
        row(out, "decode weight GB/s", summary(results, 2, bytesPerToken / 1e9), "%.1f");
        row(out, "decode % of best read bw", scale(BestMedian.of(frac), 100), "%.1f");
        if (hooks != null)
            hooks.forEach((mode, v) -> out.printf("%-28s %12.2f %12.2f   median x%.3f of no hooks%n", "decode tok/s, " + mode,
                    v.get("best_tokens_per_second"), v.get("median_tokens_per_second"), v.get("median_ratio_to_no_hooks")));
    }

    /** Prefill then greedy decode on a fresh cache; returns {prefill tok/s, decode tok/s}. */
    private static double[] runOnce(LlamaModel m, int[] prompt, int gen) {
        KvCache cache = m.newCache();
        cache.expectPositions(prompt.length + gen);   // sized up front, as generation and llama-bench do: no copies mid-decode
        long t0 = System.nanoTime();
        float[] logits = m.forward(cache, prompt, Hooks.none(), false);
        long t1 = System.nanoTime();
        for (int g = 0; g < gen; g++) logits = m.forward(cache, new int[]{argmax(logits)}, Hooks.none(), false);
        long t2 = System.nanoTime();
        return new double[]{prompt.length / ((t1 - t0) / 1e9), gen / ((t2 - t1) / 1e9)};
    }

    /** The size of the model file --model names, or -1 (random weights, a checkpoint directory). */
    static long modelFileBytes(String model) throws IOException {
        if (model != null && ModelRef.isRandom(model)) return -1;
        Path p = ModelRef.path(model);
        return Files.isRegularFile(p) ? Files.size(p) : -1;
    }

    /** Bytes of every weight matrix as executed (the embedding once when tied). */
    static long weightBytes(LlamaModel m) {
        var w = m.weights();
        return w.bytesPerToken() + (w.output() == w.tokenEmbedding() ? 0 : w.tokenEmbedding().byteSize());
    }

    /** Multiply-adds of a prefill of n tokens (only the last position is unembedded), times 2. */
    static double prefillFlops(LlamaConfig c, int n) {
        double perLayer = (double) c.dim() * c.qDim() + 2.0 * c.dim() * c.kvDim() + (double) c.qDim() * c.dim() + 3.0 * c.dim() * c.hiddenDim();
        double matmuls = 2.0 * n * perLayer * c.layers() + 2.0 * c.vocabSize() * c.dim();
        double attention = 4.0 * c.qDim() * c.layers() * (n * (n + 1.0) / 2);   // q.k and p.v over causal positions
        return matmuls + attention;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static Map<String, Double> summary(List<double[]> results, int column, double factor) {
        return BestMedian.of(results.stream().mapToDouble(x -> x[column] * factor).toArray());
    }

    private static Map<String, Double> scale(Map<String, Double> m, double f) {
        Map<String, Double> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(k, v * f));
        return r;
    }

    private static String fmt(Map<String, Double> m, String f) {
        return String.format(f, m.get("best")) + " best, " + String.format(f, m.get("median")) + " median";
    }

    private static void row(PrintWriter o, String label, Map<String, Double> m, String f) {
        o.printf("%-28s %12s %12s%n", label, String.format(f, m.get("best")), String.format(f, m.get("median")));
    }
}
