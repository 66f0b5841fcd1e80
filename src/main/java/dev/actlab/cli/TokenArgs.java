package dev.actlab.cli;

import dev.actlab.model.hook.HookedModel;
import java.util.Arrays;

/** Turns --prompt text or --tokens "1 2 3" into token ids for a model. */
final class TokenArgs {
    private TokenArgs() {}

    static int[] resolve(HookedModel model, String prompt, String tokens) {
        if ((prompt == null) == (tokens == null)) throw new IllegalArgumentException("give exactly one of --prompt or --tokens");
        if (tokens != null) {
            try {
                int[] ids = Arrays.stream(tokens.trim().split("[\\s,]+")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
                if (ids.length == 0) throw new IllegalArgumentException("--tokens is empty");
                return ids;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--tokens must be integers separated by spaces or commas: " + e.getMessage());
            }
        }
        if (prompt.isEmpty())
            throw new IllegalArgumentException("--prompt is empty: give some text (an empty text would run on the start token alone)");
        if (model.tokenizer() == null)
            throw new IllegalArgumentException(model.source() + " has no tokenizer (llama2.c checkpoints carry none): pass token ids with --tokens");
        return model.tokenizer().encode(prompt, true);
    }
}
