package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "detokenize", description = "Text of token ids with the model's tokenizer (special tokens such as BOS are dropped).")
final class DetokenizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--tokens", required = true, description = "Token ids, e.g. \"1 403 407\".") String tokens;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        HookedModel m = model.load();
        Tokenizer t = TokenizerOf.model(m);
        int[] ids = TokenArgs.resolve(m, null, tokens);
        for (int id : ids)
            if (id < 0 || id >= t.vocabSize()) throw new IllegalArgumentException("--tokens: " + id + " is not a token id of " + m.source() + " (vocabulary 0.." + (t.vocabSize() - 1) + ")");
        String text = t.decode(ids);
        PrintWriter out = spec.commandLine().getOut();
        if (json.enabled) {
            List<String> pieces = new ArrayList<>();
            for (int id : ids) pieces.add(t.piece(id));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source());
            j.put("ids", ids);
            j.put("pieces", pieces);
            j.put("text", text);
            out.println(Json.write(j));
        } else {
            out.println(text);
        }
        out.flush();
        return 0;
    }
}
