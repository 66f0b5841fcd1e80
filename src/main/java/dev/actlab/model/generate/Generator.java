package dev.actlab.model.generate;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import java.util.Arrays;
import java.util.function.IntConsumer;

/** Prefills the prompt in one batched pass, then decodes one token at a time. */
public final class Generator {
    private Generator() {}

    /**
     * Generates up to maxTokens tokens after the prompt, stopping early at the end-of-sequence token.
     * onToken sees each generated id as soon as it is chosen (for streaming output).
     */
    public static Generation generate(LlamaModel model, int[] prompt, int maxTokens, Sampler sampler, Hooks hooks, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        int room = model.config().contextLength() - prompt.length;
        if (room < 0) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context length " + model.config().contextLength());
        int budget = Math.min(maxTokens, room);
        int eos = model.tokenizer() == null ? -1 : model.tokenizer().eosId();
        KvCache cache = model.newCache();
        cache.expectPositions(prompt.length + budget);
        int[] out = new int[budget];
        int produced = 0;
        String stop = budget < maxTokens ? "context" : "max-tokens";
        long t0 = System.nanoTime();
        float[] logits = budget == 0 ? null : model.forward(cache, prompt, hooks, false);
        long t1 = System.nanoTime();
        while (produced < budget) {
            int next = sampler.next(logits);
            out[produced++] = next;
            onToken.accept(next);
            if (next == eos) { stop = "eos"; break; }
            if (produced == budget) break;
            logits = model.forward(cache, new int[]{next}, hooks, false);
        }
        long t2 = System.nanoTime();
        int[] generated = Arrays.copyOf(out, produced);
        String text = model.tokenizer() == null ? null : model.tokenizer().decode(generated);
        // with no token to generate nothing ran: no time, no rate (not a few nanoseconds of bookkeeping as a rate)
        return new Generation(prompt, generated, text, budget == 0 ? 0 : (t1 - t0) / 1e9, produced <= 1 ? 0 : (t2 - t1) / 1e9, stop);
    }
}
