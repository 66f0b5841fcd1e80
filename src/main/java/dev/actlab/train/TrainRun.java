package dev.actlab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaShape;
import dev.actlab.model.llama2c.Llama2cWriter;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * `actlab train`: a decoder trained on a corpus (or, with --from and --qat, a QAT fine-tune, see
 * {@link QatFineTune}). Writes DIR/checkpoint (resumable; Ctrl-C saves one), DIR/metrics.jsonl,
 * DIR/dynamics.jsonl, DIR/model.bin and, with BPE, DIR/model.gguf; progress goes to err.
 */
public final class TrainRun {
    private static final ObjectMapper LINE = new ObjectMapper();

    /** exitCode 0 with the summary (json, and text for people), or 130 when a signal stopped the run (nothing to print). */
    public record Result(int exitCode, Map<String, Object> json, String text) {}

    /** Measures one core's FP32 FMA peak in GFLOP/s, to rate the run's CPU time against (bench's FmaPeak: train does not reach up to bench). */
    @FunctionalInterface
    public interface CorePeak { double gflops() throws InterruptedException; }

    private TrainRun() {}

    public static Result run(TrainOptions o, PrintStream err, CorePeak fmaPeakPerCore) throws Exception {
        o.check();
        Corpus corpus = o.loadCorpus();
        byte[] text = corpus.bytes();
        boolean mlpGiven = o.given().contains("--activation") || o.given().contains("--mlp-topk") || o.given().contains("--act-l1");
        if (o.keepZeros() && (o.from() == null || o.qat() != null || mlpGiven))
            throw new IllegalArgumentException("--keep-zeros fine-tunes a pruned --from model, without --qat or --activation/--mlp-topk/--act-l1");
        if (o.from() == null && o.qat() != null) throw new IllegalArgumentException("--qat needs --from");
        if (o.from() != null && o.compressActivations()) throw new IllegalArgumentException("--compress-activations does not apply to --from fine-tuning");
        if (o.from() != null && o.resume()) throw new IllegalArgumentException("--resume does not apply to --from fine-tuning");
        if (o.keepZeros()) {
            KeepZerosFineTune.Result r = KeepZerosFineTune.run(o.from(), text, o.out(), o.settings(1, 20), o.tokens(), o.logEvery(), o.name(), err);
            return new Result(0, r.json(), r.text(o.out()));
        }
        if (o.from() != null && o.qat() == null) {   // ReLUfication: the MLP activation swapped, then continued training
            if (!mlpGiven)
                throw new IllegalArgumentException("--from needs --qat (quantization-aware fine-tuning), --keep-zeros (recovery of a pruned model) or --activation/--mlp-topk/--act-l1 (continued training with another MLP)");
            Map<String, Object> r = ActivationFineTune.run(o.from(), o.mlp().spec(), text, o.out(), o.settings(1, 20), o.tokens(), o.logEvery(),
                    o.evalEvery(), o.evalBatches(), o.name(), err);
            return new Result(0, r, String.format("%s -> %s MLP: %s, %s%n", o.from(), r.get("mlp"), o.out().resolve("relufication.json"), r.get("curve_html")));
        }
        if (o.from() != null) {
            QatFineTune.Result r = QatFineTune.run(o.from(), QatSettings.parse(o.qat(), o.qatGroup()), text, o.out(), o.settings(1, 20), o.tokens(),
                    o.logEvery(), o.evalEvery(), o.evalBatches(), o.name(), err);
            return new Result(0, r.json(), r.text(o.qat(), o.out()));
        }
        return train(o, corpus, text, err, fmaPeakPerCore);
    }

    private static Result train(TrainOptions o, Corpus corpus, byte[] text, PrintStream err, CorePeak fmaPeakPerCore) throws Exception {
        Path out = o.out(), ckpt = out.resolve("checkpoint");
        Files.createDirectories(out);
        TrainingData data = TrainingData.prepare(corpus, text, o.tokenizer(), out, o.resume(), err);
        Trainer t = startOrResume(o, corpus, text, data, err);
        TrainSettings s = t.settings();
        var c = t.model().config();
        t.model().withActivationCompression(o.compressActivations());
        double savedBytesPerToken = t.model().savedActivationBytesPerToken(s.batch(), s.seqLen());
        double flopsPerToken = 3 * t.model().forwardFlopsPerToken(s.seqLen());   // forward + backward
        err.printf("model: dim %d, hidden %d (%s MLP), %d layers, %d heads / %d kv, vocab %d, %,d parameters; corpus %,d train + %,d held-out tokens%n",
                c.dim(), c.hiddenDim(), c.mlp().describe(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), t.model().parameterCount(),
                data.tokens().trainTokens(), data.tokens().heldOutTokens());
        err.printf("%d steps of %d x %d x %d tokens, lr %.2g -> %.2g (warm-up %d), %d threads%n",
                s.totalSteps(), s.batch(), s.seqLen(), s.accumulation(), s.maxLr(), s.minLr(), s.warmupSteps(), Parallel.shared().threads());
        if (s.actL1() > 0) err.printf("L1 penalty on the MLP activations: %.3g, %s%n", s.actL1(),
                s.actL1Schedule().equals("sine") ? "rising as a sine over the first half of the steps (ProSparse)" : "constant");
        err.printf("saved activations: %,.0f bytes/token (%s)%n", savedBytesPerToken, o.compressActivations() ? "8-bit, compressed" : "FP32");

        long t0 = System.nanoTime(), firstStep = t.stepsDone(), cpu0 = cpuNanos();
        float lastLoss = Float.NaN, heldOut;
        try (StopOnSignal stop = new StopOnSignal();
             BufferedWriter metrics = Files.newBufferedWriter(out.resolve("metrics.jsonl"), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            DynamicsLog dynamics = new DynamicsLog(o.probeSequences() > 0
                    ? DynamicsProbe.heldOut(data.tokens(), o.probeSequences(), s.seqLen(), data.tokenizer()) : null, out.resolve("dynamics.jsonl"));
            if (t.stepsDone() == 0) dynamics.record(t);
            while (!t.done() && (o.stopAfter() == null || t.stepsDone() - firstStep < o.stopAfter())) {
                if (stop.requested()) {
                    Checkpoint.save(ckpt, t);
                    dynamics.record(t);
                    err.printf("interrupted: checkpoint at step %d saved in %s; continue with --resume%n", t.stepsDone(), ckpt);
                    return new Result(130, null, null);
                }
                Trainer.StepResult r = t.step();
                lastLoss = r.loss();
                double secs = (System.nanoTime() - t0) / 1e9;
                double tokPerSec = (r.step() - firstStep) * s.tokensPerStep() / secs;
                if (r.step() % o.logEvery() == 0 || t.done()) {
                    double left = (s.totalSteps() - r.step()) * s.tokensPerStep() / tokPerSec;
                    err.printf("step %d/%d  loss %.4f  lr %.3g  |grad| %.3f  %,.0f tok/s  %.2f GFLOP/s  saved %,.0f B/tok  %s left%n",
                            r.step(), s.totalSteps(), r.loss(), r.lr(), r.gradNorm(), tokPerSec, tokPerSec * flopsPerToken / 1e9, savedBytesPerToken, clock(left));
                    line(metrics, Map.of("step", r.step(), "loss", r.loss(), "lr", r.lr(), "grad_norm", r.gradNorm(),
                            "tokens", r.step() * s.tokensPerStep(), "tokens_per_second", tokPerSec, "elapsed_seconds", secs,
                            "saved_activation_bytes_per_token", savedBytesPerToken));
                }
                if (r.step() % o.evalEvery() == 0 || t.done()) {
                    heldOut = t.heldOutLoss(o.evalBatches());
                    err.printf("step %d  held-out loss %.4f (%.3f bits/byte)%n", r.step(), heldOut, heldOut / Math.log(2) / data.heldOutBytesPerToken());
                    line(metrics, Map.of("step", r.step(), "heldout_loss", heldOut));
                }
                if (r.step() % o.saveEvery() == 0 && !t.done()) { Checkpoint.save(ckpt, t); dynamics.record(t); }
            }
            Checkpoint.save(ckpt, t);
            dynamics.record(t);
        }
        // rates cover the training loop (periodic evaluations and checkpoints included), not the final evaluation
        double secs = (System.nanoTime() - t0) / 1e9, cpuSecs = (cpuNanos() - cpu0) / 1e9;
        // the whole held-out split: windows of T spaced about T apart
        int fullBatches = Math.max(1, data.tokens().heldOutTokens() / (s.batch() * s.seqLen()));
        heldOut = t.heldOutLoss(fullBatches);
        double bitsPerByte = heldOut / Math.log(2) / data.heldOutBytesPerToken();
        err.printf("held-out (%d windows of %d): loss %.4f, perplexity %.2f per token, %.3f bits/byte%n",
                fullBatches * s.batch(), s.seqLen(), heldOut, Math.exp(heldOut), bitsPerByte);
        // llama2.c checkpoints hold Llama's SwiGLU only: another MLP is written as GGUF alone (actlab.mlp.* keys)
        boolean llama2c = c.mlp().llamaDefault();
        Path bin = llama2c ? out.resolve("model.bin") : null;
        if (llama2c) Llama2cWriter.write(t.model().toLlamaModel(bin.toString()), bin);
        Path gguf = null;
        if (data.bpe() != null || !llama2c) {
            // the model with its tokenizer in one file: `actlab run --model DIR/model.gguf --prompt ...`
            gguf = out.resolve("model.gguf");
            GgufWriter w = GgufLlamaWriter.export(t.model().toLlamaModel(gguf.toString()), DType.F32, o.name());
            if (data.bpe() != null) data.bpe().putGguf(w);
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
        summary.put("activation_compression", o.compressActivations());
        summary.put("seconds", secs);
        summary.put("tokens_per_second", tokPerSec);
        summary.put("gflops_per_second", tokPerSec * flopsPerToken / 1e9);
        // on a shared machine wall-clock rates understate the code: CPU time says what it got
        summary.put("process_cpu_seconds", cpuSecs);
        double perCpuSecond = (t.stepsDone() - firstStep) * s.tokensPerStep() * flopsPerToken / 1e9 / Math.max(cpuSecs, 1e-9);
        double peak = fmaPeakPerCore.gflops();   // GFLOP/s of one core, in its CPU time
        summary.put("gflop_per_cpu_second", perCpuSecond);
        summary.put("fma_peak_gflops_per_core", peak);
        summary.put("parameters", t.model().parameterCount());
        summary.put("checkpoint", ckpt.toString());
        summary.put("model", (bin != null ? bin : gguf).toString());
        summary.put("mlp_activation", c.mlp().activation().key());
        summary.put("mlp_kind", c.mlp().kind());
        summary.put("mlp_topk", c.mlp().topK());
        summary.put("act_l1", s.actL1());
        summary.put("act_l1_schedule", s.actL1Schedule());
        if (gguf != null) summary.put("gguf", gguf.toString());
        String report = String.format("trained %d steps (%,d tokens) in %s: train loss %.4f, held-out loss %.4f (%.3f bits/byte); %,.0f tok/s, %.2f GFLOP/s%n"
                        + "checkpoint %s, model %s%n", t.stepsDone(), t.stepsDone() * s.tokensPerStep(), clock(secs), lastLoss, heldOut,
                bitsPerByte, tokPerSec, tokPerSec * flopsPerToken / 1e9, ckpt, gguf != null ? gguf : bin)
                + String.format("process CPU time %.1f s for %.1f s of wall clock (%.2f GFLOP per CPU-second, %.0f%% of the %.0f GFLOP/s FMA peak of one core)%n",
                cpuSecs, secs, perCpuSecond, 100 * perCpuSecond / peak, peak);
        return new Result(0, summary, report);
    }

    /** A fresh trainer of the --config preset, or the one in DIR/checkpoint with --resume (on the same corpus only). */
    private static Trainer startOrResume(TrainOptions o, Corpus corpus, byte[] text, TrainingData data, PrintStream err)
            throws IOException, NoSuchAlgorithmException {
        Path ckpt = o.out().resolve("checkpoint"), corpusId = o.out().resolve("corpus.sha256");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text));
        if (o.resume() && Checkpoint.exists(ckpt)) {
            // batches are drawn from the corpus by (seed, step): another corpus would silently change the run
            if (Files.isRegularFile(corpusId) && !Files.readString(corpusId).strip().equals(sha))
                throw new IllegalArgumentException("--corpus " + corpus.spec() + " is not the corpus this run started with (sha256 in " + corpusId + ")");
            Checkpoint.Loaded saved = Checkpoint.load(ckpt);
            o.checkResume(saved.settings(), saved.config(), ckpt.toString());
            if (saved.step() >= saved.settings().totalSteps())
                throw new IllegalArgumentException(ckpt + " is a finished run (step " + saved.step() + " of " + saved.settings().totalSteps()
                        + "): nothing is left to train; its model is in " + o.out());
            Trainer t = Trainer.resume(saved, data.tokens());
            if (t.model().config().vocabSize() != data.vocabSize())
                throw new IllegalArgumentException(ckpt + " has a vocabulary of " + t.model().config().vocabSize() + ", the tokenizer " + data.vocabSize());
            err.printf("resuming %s at step %d of %d%n", ckpt, t.stepsDone(), t.settings().totalSteps());
            return t;
        }
        if (Checkpoint.exists(ckpt)) throw new IllegalArgumentException(ckpt + " already holds a checkpoint: pass --resume, or choose another --out");
        LlamaShape preset = LlamaShape.trainingPreset(o.config());
        int steps = o.steps();
        Trainer t = Trainer.start(preset.config(o.ctx(), data.vocabSize()).withMlp(o.mlp().spec()), o.settings(steps, Math.min(200, steps / 20)), data.tokens());
        Files.writeString(corpusId, sha + "\n");
        return t;
    }

    private static void line(BufferedWriter w, Map<String, Object> fields) throws IOException {
        w.write(LINE.writeValueAsString(new TreeMap<>(fields)));
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
