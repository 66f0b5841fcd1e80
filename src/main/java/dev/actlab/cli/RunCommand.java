package dev.actlab.cli;

import dev.actlab.io.Json;

import dev.actlab.model.generate.Generation;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.llama.LlamaModel;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "run", description = "Generate text from a prompt.")
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--prompt", description = "Prompt text (needs a model with a tokenizer).") String prompt;
    @Option(names = "--tokens", description = "Prompt as token ids, e.g. \"1 403 407\".") String tokens;
    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens to generate (default ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).") float topP;
    @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default ${DEFAULT-VALUE}).") long seed;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;
    @Mixin ControlVectorOptions steering;
    @Mixin CheckFiniteOption finite;
    @Mixin SparsityOption sparsity;

    @Override public Integer call() throws Exception {
        threads.apply();
        LlamaModel m = sparsity.apply(model.decoder(), true);
        int[] ids = TokenArgs.resolve(m, prompt, tokens);
        Sampler sampler = new Sampler(temperature, topP, seed);
        PrintWriter out = spec.commandLine().getOut();
        boolean stream = !json.enabled && m.tokenizer() != null;
        String shownPrompt = !stream ? "" : prompt != null ? prompt : m.tokenizer() != null ? m.tokenizer().decode(ids) : "";
        int[] shown = {0};
        Generation g = Generator.generate(m, ids, maxTokens, sampler, finite.with(steering.hooks(m), m), id -> {
            if (!json.enabled && m.tokenizer() == null) { out.print((shown[0]++ == 0 ? "" : " ") + id); out.flush(); }
        });
        if (stream) out.println(shownPrompt + g.text());   // after the run: an error leaves stdout empty
        if (json.enabled) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", model.path().toString());
            r.put("prompt_tokens", g.promptTokens());
            r.put("generated_tokens", g.generatedTokens());
            r.put("text", g.text());
            r.put("stop_reason", g.stopReason());
            if (steering.given()) r.put("steering", steering.describe(m));
            if (sparsity.given()) r.put("sparsity", sparsity.describe());
            r.put("prefill_seconds", g.prefillSeconds());
            r.put("decode_seconds", g.decodeSeconds());
            r.put("prefill_tokens_per_second", g.prefillTokensPerSecond());
            r.put("decode_tokens_per_second", g.decodeTokensPerSecond());
            out.println(Json.write(r));
        } else {
            if (m.tokenizer() == null) out.println();
            if (sparsity.given()) sparsity.printSummary(spec.commandLine().getErr());
            spec.commandLine().getErr().printf("%d prompt tokens, %d generated (%s); prefill %.1f tok/s, decode %.1f tok/s%n",
                    ids.length, g.generatedTokens().length, g.stopReason(), g.prefillTokensPerSecond(), g.decodeTokensPerSecond());
        }
        return 0;
    }
}
