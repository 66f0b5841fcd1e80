package dev.actlab.cli;

import dev.actlab.capture.ActivationStore;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.sae.ActivationSource;
import dev.actlab.sae.ModelActivations;
import dev.actlab.sae.SaeConfig;
import dev.actlab.sae.SaeFile;
import dev.actlab.sae.SaeTrainer;
import dev.actlab.sae.StopOnSignal;
import dev.actlab.sae.StoreActivations;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, description = {"Train a sparse autoencoder on one site's activations with Adam: TopK (with the AuxK loss on dead latents), BatchTopK (the k x batch largest activations of the whole batch; at inference one global threshold, a running mean of each batch's smallest kept activation), JumpReLU (a threshold per latent trained by a straight-through estimator with a rectangle kernel of width --bandwidth, and an L0 penalty --l1) or ReLU with an L1 penalty; any but JumpReLU as a Matryoshka SAE (--matryoshka: nested dictionaries, the loss sums the reconstruction losses of the latent list's prefixes); decoder rows unit norm, b_dec from the geometric median of the first batch.",
        "Saves OUT/checkpoint.bin every --save-every steps and on Ctrl-C; --resume continues it to the same weights an uninterrupted run gives (the rows already used are replayed).",
        "Rows come straight from the model (--text/--corpus; windows of --ctx tokens, BOS left out, drawn at random from a pool) or from a capture store (--store, shuffled). Writes SAELens' layout: OUT/cfg.json and OUT/sae_weights.safetensors, plus OUT/training.json."})
final class SaeTrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    static final class Input {
        @ArgGroup(exclusive = false) SaeCommand.TextSource text;
        @Option(names = "--store", description = "A capture store directory (actlab capture) holding the site.") Path store;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--site", defaultValue = "blocks.2.hook_resid_post", description = "Hook site (default ${DEFAULT-VALUE}).") String site;
    @Option(names = "--arch", defaultValue = "topk", description = "topk, batchtopk, jumprelu or relu (default ${DEFAULT-VALUE}).") String arch;
    @Option(names = "--k", defaultValue = "32", description = "Active latents per token for topk (default ${DEFAULT-VALUE}).") int k;
    @Option(names = "--expansion", defaultValue = "8", description = "d_sae / d_in (default ${DEFAULT-VALUE}).") int expansion;
    @Option(names = "--tokens", defaultValue = "1000000", description = "Training tokens (rows) (default ${DEFAULT-VALUE}).") long tokens;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--batch", defaultValue = "4096", description = "Rows per step (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the initialisation and the row order (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--l1", defaultValue = "1.0", description = "relu: L1 coefficient on the activations (inputs scaled to mean norm sqrt(d_in)); jumprelu: the L0 coefficient (default ${DEFAULT-VALUE}).") double l1;
    @Option(names = "--bandwidth", defaultValue = "0.001", description = "jumprelu: the straight-through estimator's kernel width (default ${DEFAULT-VALUE}).") double bandwidth;
    @Option(names = "--theta-init", defaultValue = "0.001", description = "jumprelu: initial threshold (default ${DEFAULT-VALUE}).") double thetaInit;
    @Option(names = "--save-every", defaultValue = "500", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).") long saveEvery;
    @Option(names = "--resume", description = "Continue the run checkpointed in --out (same flags and text).") boolean resume;
    @Option(names = "--dead-after", defaultValue = "1000000", description = "Tokens without firing after which a latent counts as dead (default ${DEFAULT-VALUE}).") long deadAfter;
    @Option(names = "--ctx", defaultValue = "128", description = "--text/--corpus: tokens per window, BOS included (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--pool", defaultValue = "65536", description = "--text/--corpus: rows kept to draw batches from (default ${DEFAULT-VALUE}).") int pool;
    @Option(names = "--log-every", defaultValue = "20", description = "Steps between progress lines (default ${DEFAULT-VALUE}).") int logEvery;
    @Option(names = "--matryoshka", split = ",", description = "Matryoshka SAE: the nested prefix widths m1,m2,... (< d_sae), latents [0, m) must reconstruct alone; the loss sums every prefix's and the whole dictionary's reconstruction losses.") int[] matryoshka;
    @Option(names = "--lr-decay", defaultValue = "0", description = "Fraction of the steps, at the end, over which the learning rate falls linearly to 0 (default ${DEFAULT-VALUE}).") double lrDecay;
    @Option(names = "--out", required = true, description = "Directory to write the SAE to.") Path out;

    @Override public Integer call() throws Exception {
        threads.apply();
        SaeConfig.Architecture a = SaeConfig.Architecture.parse(arch);
        boolean penalised = a == SaeConfig.Architecture.RELU || a == SaeConfig.Architecture.JUMPRELU;
        SaeTrainer.Options o = new SaeTrainer.Options(a, k, expansion, lr, batch, tokens, seed, penalised ? l1 : 0, 1.0 / 32, 0, deadAfter, logEvery, bandwidth, thetaInit)
                .with(matryoshka, lrDecay);
        Path ckpt = out.resolve(SaeTrainer.CHECKPOINT);
        if (resume != java.nio.file.Files.isRegularFile(ckpt))
            throw new IllegalArgumentException(resume ? "--resume: " + ckpt + " does not exist" : ckpt + " already holds a checkpoint: pass --resume, or choose another --out");
        ActivationSource src;
        String modelName;
        if (input.store != null) {
            ActivationStore store = ActivationStore.open(input.store);
            src = new StoreActivations(store, site, seed);
            modelName = store.manifest().model;
        } else {
            HookedModel m = model.load();
            // an encoder's tokenizer truncates to one sequence; here the text is a stream cut into windows later
            if (m.tokenizer() instanceof dev.actlab.model.tokenizer.WordPieceTokenizer wp) wp.withMaxLength(Integer.MAX_VALUE);
            int[] ids = m.tokenizer().encode(input.text.read(false, tokens + pool), false);
            src = new ModelActivations(m, site, ids, ctx, pool, seed);
            modelName = m.source();
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("sae train: " + src.describe() + ", " + a.cliName() + (a.usesK() ? " k " + k : " l1 " + l1)
                + ", d_sae " + src.width() * expansion + ", " + tokens + " tokens in batches of " + batch);
        SaeTrainer.Result r;
        try (StopOnSignal stop = new StopOnSignal()) {
            r = SaeTrainer.train(src, site, HookSite.layerOf(site), modelName, o, Parallel.shared(), new ProgressBar("sae", "tokens", err),
                    s -> err.printf(Locale.ROOT, "%nstep %d  tokens %d  loss %.4f  aux %.4f  FVU %.4f  L0 %.1f  dead %.3f%n",
                            s.step(), s.tokens(), s.loss(), s.auxLoss(), s.fvu(), s.l0(), s.deadFraction()),
                    new SaeTrainer.Checkpointing(ckpt, saveEvery, resume, stop::requested));
            if (r.stopped()) { err.printf("%ninterrupted: checkpoint at step %d saved in %s; continue with --resume%n", r.steps(), ckpt); return 130; }
        }
        SaeFile.write(r.sae(), out, ctx);
        Map<String, Object> j = report(r, src.describe(), out);
        j.put("matryoshka_widths", o.matryoshka()); j.put("lr_decay", lrDecay);
        AtomicFile.writeString(out.resolve("training.json"), Json.write(j));
        PrintWriter w = spec.commandLine().getOut();
        if (json.enabled) w.println(Json.write(j));
        else {
            SaeTrainer.Stats s = r.last();
            w.printf(Locale.ROOT, "%s: d_in %d, d_sae %d, %d steps, %d tokens in %.1f s (%.1f s of it producing activations); SAE %.0f tok/s, encoder GEMM FLOPs at %.1f GFLOP/s of SAE time%n", out,
                    r.sae().dIn(), r.sae().dSae(), r.steps(), r.tokens(), r.seconds(), r.dataSeconds(), r.tokens() / (r.seconds() - r.dataSeconds()), r.encoderGflops());
            w.printf(Locale.ROOT, "last %d steps: FVU %.4f%s, L0 %.1f, dead %.3f (no firing in %d tokens)%n", o.logEvery(), s.fvu(),
                    s.prefixFvu().length > 1 ? " (nested prefixes " + java.util.Arrays.toString(s.prefixFvu()) + ")" : "", s.l0(), s.deadFraction(), deadAfter);
        }
        return 0;
    }

    static Map<String, Object> report(SaeTrainer.Result r, String source, Path out) {
        Map<String, Object> j = new LinkedHashMap<>();
        Object[] kv = {"out", out.toString(), "source", source, "architecture", r.sae().cfg.architecture().cliName(), "d_in", r.sae().dIn(),
                "d_sae", r.sae().dSae(), "k", r.sae().cfg.k(), "hook_name", r.sae().cfg.hookName(), "steps", r.steps(), "tokens", r.tokens(),
                "seconds", r.seconds(), "tokens_per_second", r.tokens() / r.seconds(), "data_seconds", r.dataSeconds(),
                "sae_tokens_per_second", r.tokens() / (r.seconds() - r.dataSeconds()), "encoder_gflops", r.encoderGflops(),
                "input_scale", r.scale(), "final", r.last(), "history", r.history()};
        for (int i = 0; i < kv.length; i += 2) j.put((String) kv[i], kv[i + 1]);
        return j;
    }
}
