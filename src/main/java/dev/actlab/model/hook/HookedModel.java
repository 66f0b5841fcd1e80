package dev.actlab.model.hook;

import dev.actlab.model.tokenizer.Tokenizer;
import java.util.function.Predicate;

/**
 * What every consumer of activations (inspect, capture, quant, sparse, sae, steer) needs from a
 * model, decoder or encoder alike: its sites, its tokenizer, and a way to run one sequence
 * with hooks attached.
 */
public interface HookedModel {
    /** Where the weights came from (file path or model name), for reports and errors. */
    String source();

    /** "llama", "bert", ... */
    String architecture();

    int layers();

    int dModel();

    /** Tokens one run may hold: a decoder's context length, an encoder's position table. */
    int contextLength();

    /** Size of the token-id space the model reads. */
    int vocabSize();

    /** The hook sites this model exposes, named as in TransformerLens. */
    SiteTable sites();

    /** May be null when the checkpoint carries no tokenizer. */
    Tokenizer tokenizer();

    /** Runs one sequence from position 0 with the given hooks. */
    void run(int[] tokens, Hooks hooks);

    default ActivationCache runWithCache(int[] tokens, Predicate<String> filter) {
        ActivationCache cache = new ActivationCache();
        run(tokens, new Hooks().add(filter, cache));
        return cache;
    }
}
