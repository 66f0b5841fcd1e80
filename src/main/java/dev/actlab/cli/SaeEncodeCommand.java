package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.tokenizer.TokenOffsets;
import dev.actlab.sae.Sae;
import dev.actlab.sae.SaeEncode;
import dev.actlab.sae.SaeFile;
import dev.actlab.sae.SparseCodeFile;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "encode", mixinStandardHelpOptions = true, description = {"Encode a text with an SAE (SAELens or sparsify directory): run the model over it in windows of --ctx tokens (BOS first, not encoded),",
        "take the SAE's site and print, per token, its strongest features and their activations. --out writes every token's whole code:",
        "FILE.safetensors as a CSR matrix [tokens, d_sae] (indptr, indices, values; scipy.sparse.csr_matrix reads it) with token_ids, positions and token_offsets,",
        "or FILE.jsonl, one JSON object per token."})
final class SaeEncodeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    static final class Input {
        @Option(names = "--text", description = "UTF-8 text file.") Path text;
        @Option(names = "--prompt", description = "The text itself.") String prompt;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;
    @Option(names = "--sae", required = true, description = "SAE directory.") Path sae;
    @Option(names = "--top", defaultValue = "5", description = "Features shown per token, strongest first (default ${DEFAULT-VALUE}).") int top;
    @Option(names = "--ctx", defaultValue = "128", description = "Tokens per window, BOS included (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--out", description = "Also write every token's code here: .safetensors (CSR) or .jsonl.") Path out;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (top < 0) throw new IllegalArgumentException("--top " + top + " must be >= 0");
        if (out != null) {
            OutputPath.file("--out", out);
            String n = out.getFileName().toString();
            if (!n.endsWith(".safetensors") && !n.endsWith(".jsonl")) throw new IllegalArgumentException("--out " + out + ": name the file .safetensors (CSR) or .jsonl");
        }
        Sae s = SaeFile.read(sae);
        HookedModel m = model.load();
        if (m.tokenizer() == null) throw new IllegalArgumentException(m.source() + " has no tokenizer: give one with --tokenizer");
        String text = input.text != null ? TextInput.utf8(input.text) : input.prompt;
        int[] ids = m.tokenizer().encode(text, false);
        if (ids.length == 0) throw new IllegalArgumentException((input.text != null ? input.text + ": " : "--prompt: ") + "no tokens to encode");
        SaeEncode.Result r = SaeEncode.run(m, s, ids, ctx, Parallel.shared(), new ProgressBar("sae encode", "windows", spec.commandLine().getErr()));
        long[] o = TokenOffsets.of(m.tokenizer(), text, ids);
        int[] offsets = new int[o.length];
        for (int i = 0; i < o.length; i++) offsets[i] = (int) o[i];
        String[] pieces = new String[ids.length];
        for (int t = 0; t < ids.length; t++) pieces[t] = m.tokenizer().decode(new int[]{ids[t]});
        if (out != null) SparseCodeFile.write(out, r, s, offsets, pieces);
        PrintWriter w = spec.commandLine().getOut();
        if (json.enabled) w.println(Json.write(report(s, r, pieces, m.source())));
        else {
            w.printf(Locale.ROOT, "%s %s, d_sae %d, on %s: %d tokens, mean L0 %.2f%n", s.cfg.hookName(), s.cfg.architecture().cliName(), s.dSae(), m.source(), ids.length, r.code().meanL0());
            for (int t = 0; t < ids.length; t++) {
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%5d %-14s L0 %3d ", t, "'" + pieces[t].replace("\n", "\\n") + "'", r.code().indices(t).length));
                for (int a = 0; a < Math.min(top, r.code().indices(t).length); a++)
                    b.append(String.format(Locale.ROOT, "  f%d %.3f", r.code().indices(t)[a], r.code().values(t)[a]));
                w.println(b);
            }
            if (out != null) w.println("codes written to " + out);
        }
        return 0;
    }

    private Map<String, Object> report(Sae s, SaeEncode.Result r, String[] pieces, String modelName) {
        List<Map<String, Object>> toks = new ArrayList<>();
        for (int t = 0; t < pieces.length; t++) {
            List<Map<String, Object>> f = new ArrayList<>();
            for (int a = 0; a < Math.min(top, r.code().indices(t).length); a++)
                f.add(Map.of("feature", r.code().indices(t)[a], "activation", r.code().values(t)[a]));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("token", t); j.put("id", r.tokens()[t]); j.put("text", pieces[t]); j.put("position", r.positions()[t]);
            j.put("l0", r.code().indices(t).length); j.put("features", f);
            toks.add(j);
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("sae", sae.toString()); j.put("model", modelName); j.put("hook_name", s.cfg.hookName()); j.put("d_sae", s.dSae());
        j.put("tokens", pieces.length); j.put("mean_l0", r.code().meanL0()); j.put("out", out == null ? null : out.toString()); j.put("per_token", toks);
        return j;
    }
}
