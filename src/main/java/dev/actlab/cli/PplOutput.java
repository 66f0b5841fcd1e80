package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.model.eval.LlamaCppPerplexity;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The protocol line every ppl table starts with, and the output of ppl --protocol llama.cpp. */
final class PplOutput {
    private PplOutput() {}

    /** The protocol of an actlab-protocol run: model, text, tokens scored, context, BOS handling. */
    static Map<String, Object> actlab(String model, String text, long scored, int ctx) {
        return protocol("actlab", model, text, scored, ctx, "windows of " + ctx + " tokens, every position scored",
                "the tokenizer's BOS before the text only (windows do not start with one)");
    }

    static Map<String, Object> protocol(String name, String model, String text, long scored, int ctx, String scoring, String bos) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("model", model);
        p.put("text", text);
        p.put("tokens_scored", scored);
        p.put("context", ctx);
        p.put("scoring", scoring);
        p.put("bos", bos);
        return p;
    }

    /** "protocol actlab: model M, text T, 1234 tokens scored, context 512 (scoring), BOS: ..." */
    static String line(Map<String, Object> p) {
        return "protocol " + p.get("name") + ": model " + p.get("model") + ", text " + p.get("text") + ", " + p.get("tokens_scored")
                + " tokens scored, context " + p.get("context") + " (" + p.get("scoring") + "), BOS: " + p.get("bos")
                + (p.containsKey("arithmetic") ? ", arithmetic: " + p.get("arithmetic") : "");
    }

    static void llamaCpp(PrintWriter out, boolean json, String model, String text, int tokens, LlamaCppPerplexity.Result r, Path saved) {
        Map<String, Object> p = protocol("llama.cpp", model, text, r.scoredTokens(), r.contextLength(),
                r.chunks() + " chunks of " + r.contextLength() + " tokens, positions " + r.contextLength() / 2 + ".." + (r.contextLength() - 2)
                        + " of each scored (the second half), as llama-perplexity",
                r.bos() >= 0 ? "id " + r.bos() + " written over each chunk's first token" : "none (the model's tokenizer adds no BOS)");
        p.put("arithmetic", "ggml's CPU backend (float32, each matmul input rounded to its weights' vec_dot_type, F16 KV cache)");
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("protocol", p);
            j.put("tokens", tokens);
            j.put("chunks", r.chunks());
            j.put("mean_nll", r.meanNll());
            j.put("perplexity", r.perplexity());
            j.put("perplexity_stderr", r.perplexityError());
            if (r.kl() != null) j.put("kl_divergence", r.kl().toJson());
            out.println(Json.write(j));
            return;
        }
        out.println(line(p));
        if (r.kl() == null) out.printf("Final estimate: PPL = %.4f +/- %.5f%n", r.perplexity(), r.perplexityError());
        else out.print(r.kl().table());
        if (saved != null) out.println("saved logits to " + saved + " (+ .json)");
        out.flush();
    }
}
