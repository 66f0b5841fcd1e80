package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;

import dev.actlab.capture.ActivationCapture;
import dev.actlab.capture.CaptureManifest;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.tokenizer.TokenOffsets;
import dev.actlab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "capture", description = {"Stream activations of chosen sites to DIR as sharded safetensors + manifest.json.",
        "Re-running the same command after an interruption resumes where it stopped.",
        "Attention sites (attn.hook_pattern, attn.hook_attn_scores) are stored one row per query position,",
        "[rows, heads, ctx]: keys the query did not attend are 0 in the pattern and -inf in the scores."})
final class CaptureCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--text", description = "UTF-8 text file (needs a model with a tokenizer).") Path text;
    @Option(names = "--tokens-file", description = "File of whitespace-separated token ids.") Path tokensFile;
    @Option(names = "--prompt", description = "Text to capture, given on the command line (needs a model with a tokenizer).") String prompt;
    @Option(names = "--tokens", description = "Token ids, e.g. \"1 403 407\".") String tokens;
    @Option(names = "--sites", required = true, split = ",", description = "Site names or globs, comma separated, e.g. \"blocks.*.hook_resid_post\".") String[] sites;
    @Option(names = "--out", required = true, description = "Store directory.") Path out;
    @Option(names = "--ctx", defaultValue = "0", description = "Tokens per window (default: the model's context, at most 512).") int ctx;
    @Option(names = "--shard-tokens", defaultValue = "8192", description = "Rows per shard (default ${DEFAULT-VALUE}); bounds memory.") int shardTokens;
    @Option(names = "--dtype", defaultValue = "F32", description = "F32, F16 or BF16 (default ${DEFAULT-VALUE}).") DType dtype;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;
    @Mixin ControlVectorOptions steering;

    @Override public Integer call() throws Exception {
        threads.apply();
        OutputPath.directory("--out", out);
        int given = (text != null ? 1 : 0) + (prompt != null ? 1 : 0) + (tokensFile != null ? 1 : 0) + (tokens != null ? 1 : 0);
        if (given != 1) throw new IllegalArgumentException("give exactly one of --text, --prompt, --tokens-file or --tokens");
        HookedModel m = model.load();
        String input = text != null ? TextInput.utf8(text) : prompt;
        if (text != null && input.isEmpty()) throw new IllegalArgumentException(text + ": the file is empty: no text to capture");
        int[] ids = input != null ? TokenArgs.resolve(m, input, null)
                : tokensFile != null ? TextInput.tokenIds(tokensFile) : TokenArgs.resolve(m, null, tokens);
        int[] offsets = null;
        if (input != null) {
            long[] o = TokenOffsets.of(m.tokenizer(), input, ids);   // a String holds < 2^31 chars: offsets fit in int
            offsets = new int[o.length];
            for (int i = 0; i < o.length; i++) offsets[i] = (int) o[i];
        }
        Predicate<String> filter = s -> false;
        for (String p : sites) {
            dev.actlab.model.hook.SiteSuggestions.requireMatch("--sites", p, m.source(), m.sites());
            filter = filter.or(Hooks.glob(p.trim()));
        }
        int window = ctx > 0 ? ctx : Math.min(512, m.contextLength());
        ProgressBar bar = new ProgressBar("capture", "windows");
        // Ctrl-C: what is on disk is a resumable store; say so instead of vanishing silently
        Thread onInterrupt = new Thread(() -> System.err.printf("%ncapture interrupted: the windows done so far are kept in %s; run the same command again to resume%n", out));
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        CaptureManifest man;
        try {
            man = new ActivationCapture(m, filter, window, shardTokens, dtype)
                    .withInterventions(steering.interventions(m), steering.given() ? steering.steering().summary(m) : null)
                    .run(ids, offsets, out, bar);
        } finally {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("store", out.toString());
            j.put("rows", man.rows);
            j.put("shards", man.shards.size());
            j.put("sites", man.sites);
            pw.println(Json.write(j));
        } else {
            pw.printf("captured %d tokens x %d sites (%s) into %d shard(s) in %s%n", man.rows, man.sites.size(), man.dtype, man.shards.size(), out);
            for (CaptureManifest.Site s : man.sites) pw.printf("  %-36s width %d %s%n", s.name(), s.width(), Arrays.toString(s.trailingShape()));
        }
        return 0;
    }
}
