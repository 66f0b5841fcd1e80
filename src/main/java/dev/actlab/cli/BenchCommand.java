package dev.actlab.cli;

import dev.actlab.bench.DecoderBench;
import dev.actlab.bench.EncoderBench;
import dev.actlab.bench.TrainStepBench;
import dev.actlab.bench.TwoFourDecodeBench;
import dev.actlab.model.load.ModelRef;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `actlab bench`: one of three benchmarks, chosen by --train and by what --model names. */
@Command(name = "bench", resourceBundle = "dev.actlab.cli.BenchCommand$Help",
        description = {"Decoders: prefill and decode speed against the machine's read bandwidth and FMA peak.",
        "Encoders (--model minilm or a BERT .onnx): actlab vs ONNX Runtime side by side, throughput and latency.",
        "--train: training-step speed of a decoder preset against the one-core FMA peak."})
final class BenchCommand implements Callable<Integer> {
    /** What the shared options say here. */
    public static final class Help extends OptionHelp {
        public Help() {
            super("model", "minilm, a model file, or random:260K | random:110M | random:1B | random:tiny-quant (random F32 weights in that shape;"
                            + " random:tiny is random:260K); required unless --train.",
                    "json", "Print JSON instead of a table.");
        }
    }

    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--batch", description = "Encoders: sequences per batch (default 32); --train: sequences per step (default 8).") Integer batch;
    @Option(names = "--seq", defaultValue = "128", description = "Encoders: tokens per sequence (default ${DEFAULT-VALUE}).") int seq;
    @Option(names = "--latency-seq", defaultValue = "16", description = "Encoders: tokens of the batch-1 latency run, 0 to skip (default ${DEFAULT-VALUE}).") int latencySeq;
    @Option(names = "--prompt-tokens", defaultValue = "128", description = "Prompt length for prefill (default ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--gen-tokens", defaultValue = "128", description = "Tokens to decode (default ${DEFAULT-VALUE}).") int genTokens;
    @Mixin ThreadsOption threads;
    @Option(names = "--rounds", description = "Rounds of (bandwidth probe, model) for decoders (default 3); alternating rounds of actlab and ONNX Runtime for encoders (default 7); rounds of (FMA peak, steps) for --train (default 5).") Integer rounds;
    @Option(names = "--probe-mb", defaultValue = "1024", description = "Bandwidth probe buffer in MiB (default ${DEFAULT-VALUE}).") int probeMb;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of random weights and prompt (default ${DEFAULT-VALUE}).") long seed;
    @Mixin JsonOption json;
    @Mixin SparsityOption sparsity;
    @Option(names = "--two-four", description = "Decode the model's 2:4-sparse F32 weights dense and compressed (half the values plus 2-bit positions), alternating rounds: "
            + "speedup and its memory-traffic limit. A model that is not 2:4 yet is pruned 2:4 by magnitude in memory (110M-sized; for 1B write `synth --two-four`).") boolean twoFour;
    @Option(names = "--quant", description = "Encoders (--model minilm): actlab W8A8 (" + dev.actlab.quant.EncoderW8A8.Spec.GRAMMAR + ") beside actlab FP32, ONNX Runtime FP32 and"
            + " LangChain4j's int8 model on ONNX Runtime: cosine to FP32 on built-in sentences, then speed, alternating.") String quant;
    @Option(names = "--hook-overhead", description = "Also measure decode with unused hooks and with every hook_resid_post cached, against no hooks.") boolean hookOverhead;
    @Option(names = "--train", description = "Time training steps (forward, backward, AdamW) of --config on random tokens instead of a model's inference.") boolean train;
    @Option(names = "--config", defaultValue = "brown", description = "--train: model shape tiny, small, brown or medium (default ${DEFAULT-VALUE}).") String config;
    @Option(names = "--vocab", defaultValue = "4096", description = "--train: vocabulary size (default ${DEFAULT-VALUE}, brown's BPE).") int vocab;
    @Option(names = "--ctx", defaultValue = "256", description = "--train: tokens per sequence (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--steps", defaultValue = "3", description = "--train: timed steps per round (default ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--breakdown", description = "--train: also the CPU time per phase of a step (GEMMs, attention, norms, cross-entropy, AdamW, ...) with the GEMMs' GFLOP/s; use --threads 1.") boolean breakdown;
    @Option(names = "--warmup", defaultValue = "4", description = "--train: untimed steps first, for the JIT (default ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--export-llama2c", description = "Also write the model as a llama2.c checkpoint (to run the C original on the same weights).") Path exportLlama2c;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        String m = model.model;
        model.refuseTokenizer("bench times random token ids, it needs no tokenizer");
        if (train) {
            if (m != null) throw new IllegalArgumentException("--train times a random-weight --config shape: drop --model");
            new TrainStepBench(config, vocab, batch == null ? 8 : batch, ctx, threads.count(), rounds == null ? 5 : rounds, steps, warmup, seed, breakdown)
                    .run(json.enabled, out, err);
        } else if (m == null) {
            throw new IllegalArgumentException("bench needs --model (or --train)");
        } else if (twoFour) {
            threads.apply();
            new TwoFourDecodeBench(m, promptTokens, genTokens, rounds == null ? 5 : rounds, seed).run(json.enabled, out, err);
        } else if (sparsity.given()) {
            threads.apply();
            SparsifyCommand.bench(ModelRef.decoder(m, seed), sparsity, promptTokens, genTokens, rounds == null ? 5 : rounds, seed, json.enabled, out, err);
        } else if (quant != null) {
            if (!m.equals(dev.actlab.model.load.ModelLoader.MINILM)) throw new IllegalArgumentException("--quant runs beside LangChain4j's int8 MiniLM: use --model minilm");
            new dev.actlab.bench.EncoderW8A8Bench(dev.actlab.quant.EncoderW8A8.Spec.parse(quant), batch == null ? 32 : batch, seq, latencySeq, threads.count(),
                    rounds == null ? 5 : rounds, 2).print(json.enabled, out, err);
        } else if (ModelRef.isEncoder(m)) {
            new EncoderBench(m, batch == null ? 32 : batch, seq, latencySeq, threads.count(), rounds == null ? 7 : rounds, 3).run(json.enabled, out, err);
        } else {
            threads.apply();
            new DecoderBench(m, promptTokens, genTokens, rounds == null ? 3 : rounds, probeMb, seed, hookOverhead, exportLlama2c).run(json.enabled, out, err);
        }
        out.flush();
        return 0;
    }
}
