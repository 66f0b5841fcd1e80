package dev.actlab.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Everything `actlab train` is asked to do, as the user gave it (null: not given, the run picks
 * its default). Messages name the command-line options, since that is where a user fixes them.
 *
 * @param corpus        a text file, "brown", "sotu" or "gutenberg" (fetched into cache, default ~/.cache/actlab), or several joined with '+' (see Corpus)
 * @param config        training preset (LlamaShape): tiny, small, brown or medium
 * @param tokenizer     "bytes", or "bpe:N" (a vocabulary of N tokens learned from the training split)
 * @param tokens        training tokens in total
 * @param minLr         null: lr / 10
 * @param warmup        null: 5% of the steps, at most 200 (20 for fine-tuning)
 * @param resume        continue from out/checkpoint, whose settings win
 * @param stopAfter     null, or steps of this invocation after which to stop with a checkpoint
 * @param name          general.name of the exported GGUF
 * @param probeSequences held-out windows measured at every checkpoint for out/dynamics.jsonl (0: off)
 * @param from          fine-tune this GGUF instead of training from scratch (with qat)
 * @param qat           wNaM or fp8: quantization-aware fine-tuning of from (see QatSettings)
 * @param keepZeros     recovery fine-tuning of a pruned from: its block linears' exact zeros stay zero (see KeepZerosFineTune)
 * @param mlp           the MLP's activation, kind and top-k, and the activation L1 penalty (MlpOptions)
 * @param given         the options the user typed (e.g. "--lr"), to tell a conflict on --resume from a default
 */
public record TrainOptions(String corpus, Path cache, String config, String tokenizer, long tokens, Path out, long seed,
                           float lr, Float minLr, Integer warmup, int batch, int accum, int ctx, float weightDecay, float clip,
                           int evalEvery, int evalBatches, int saveEvery, int logEvery, boolean resume, Integer stopAfter,
                           String name, int probeSequences, Path from, String qat, int qatGroup, boolean compressActivations,
                           boolean keepZeros, MlpOptions mlp, java.util.Set<String> given) {

    /** The checks that need no file; throws IllegalArgumentException naming the option. */
    void check() {
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be positive");
        if (stopAfter != null && stopAfter < 1) throw new IllegalArgumentException("--stop-after must be >= 1");
        if (probeSequences < 0) throw new IllegalArgumentException("--probe-sequences must be >= 0");
        if (evalEvery < 1 || saveEvery < 1 || logEvery < 1 || evalBatches < 1)
            throw new IllegalArgumentException("--eval-every, --eval-batches, --save-every and --log-every must be >= 1");
        mlp.spec();   // names a bad --activation, --mlp or --mlp-topk now
        if (!(mlp.l1() >= 0 && Float.isFinite(mlp.l1()))) throw new IllegalArgumentException("--act-l1 must be a finite number >= 0");
        if (!mlp.schedule().equals("constant") && !mlp.schedule().equals("sine"))
            throw new IllegalArgumentException("--act-l1-schedule " + mlp.schedule() + " is not constant or sine");
    }

    /** The corpus: text files and named sources ("brown", "sotu", "gutenberg", fetched into cache, default ~/.cache/actlab) joined with '+'. */
    Corpus loadCorpus() throws IOException {
        return Corpus.load(corpus, cache != null ? cache : Path.of(System.getProperty("user.home"), ".cache", "actlab"));
    }

    /** Settings of a fresh run of steps optimizer steps. */
    TrainSettings settings(int steps, int defaultWarmup) {
        return new TrainSettings(batch, ctx, accum, lr, minLr != null ? minLr : lr / 10, warmup != null ? warmup : defaultWarmup,
                steps, weightDecay, clip, seed, mlp.l1(), mlp.schedule());
    }

    /**
     * On --resume the checkpoint's settings win. An option typed now that disagrees with them is
     * refused rather than silently ignored; the message names each one.
     */
    void checkResume(TrainSettings saved, dev.actlab.model.llama.LlamaConfig savedConfig, String checkpoint) {
        java.util.List<String> conflicts = new java.util.ArrayList<>();
        TrainSettings now = settings(steps(), saved.warmupSteps());
        conflict(conflicts, "--tokens", steps(), saved.totalSteps(), " steps");
        conflict(conflicts, "--lr", now.maxLr(), saved.maxLr(), "");
        conflict(conflicts, "--min-lr", now.minLr(), saved.minLr(), "");
        conflict(conflicts, "--warmup", now.warmupSteps(), saved.warmupSteps(), " steps");
        conflict(conflicts, "--batch", now.batch(), saved.batch(), "");
        conflict(conflicts, "--accum", now.accumulation(), saved.accumulation(), "");
        conflict(conflicts, "--ctx", now.seqLen(), saved.seqLen(), "");
        conflict(conflicts, "--weight-decay", now.weightDecay(), saved.weightDecay(), "");
        conflict(conflicts, "--clip", now.gradClip(), saved.gradClip(), "");
        conflict(conflicts, "--seed", now.seed(), saved.seed(), "");
        conflict(conflicts, "--act-l1", now.actL1(), saved.actL1(), "");
        conflict(conflicts, "--act-l1-schedule", now.actL1Schedule(), saved.actL1Schedule(), "");
        mlp.conflicts(conflicts, savedConfig, given);
        if (given.contains("--config")) {
            var c = dev.actlab.model.llama.LlamaShape.trainingPreset(config).config(savedConfig.contextLength(), savedConfig.vocabSize());
            if (c.dim() != savedConfig.dim() || c.layers() != savedConfig.layers() || c.hiddenDim() != savedConfig.hiddenDim()
                    || c.heads() != savedConfig.heads() || c.kvHeads() != savedConfig.kvHeads())
                conflicts.add("--config " + config + " is another shape than the checkpoint's (dim " + savedConfig.dim() + ", " + savedConfig.layers() + " layers)");
        }
        if (!conflicts.isEmpty())
            throw new IllegalArgumentException("--resume continues " + checkpoint + " with its own settings; these options disagree with them: "
                    + String.join("; ", conflicts) + ". Leave them out to resume, or start a new run in another --out");
    }

    private void conflict(java.util.List<String> out, String option, Object now, Object saved, String unit) {
        if (given.contains(option) && !now.equals(saved)) out.add(option + " gives " + now + unit + ", the checkpoint has " + saved + unit);
    }

    /** Optimizer steps that cover --tokens (the last one may overshoot). */
    int steps() {
        long perStep = (long) batch * ctx * accum;
        return (int) Math.min(Integer.MAX_VALUE, (tokens + perStep - 1) / perStep);
    }
}
