package dev.actlab.model.hook;

/**
 * A {@link HookedModel} that predicts the next token: what logit lens, patching, steering and
 * evaluation need beyond the sites, namely its logits and its own final norm and unembedding.
 */
public interface HookedDecoder extends HookedModel {
    /** Logits after every position of a fresh sequence, with the given hooks: [n, vocab]. */
    float[] runWithHooks(int[] tokens, Hooks hooks);

    /** Logits after the last position only (cheaper: one row of unembedding): [vocab]. */
    float[] lastLogits(int[] tokens, Hooks hooks);

    /** The final norm and unembedding applied to residual-stream rows resid [n, d_model]: logits [n, vocab]. No hooks fire. */
    float[] unembed(float[] resid, int n);
}
