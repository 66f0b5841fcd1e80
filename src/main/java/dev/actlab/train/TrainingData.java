package dev.actlab.train;

import dev.actlab.model.tokenizer.PreTokenizer;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The corpus as a run's tokens: bytes (256 bytes + BOS), or a byte-level BPE vocabulary learned
 * from the training split and written to DIR/tokenizer.json (read back from there on resume).
 *
 * @param bpe                  the vocabulary, or null for bytes
 * @param heldOutBytesPerToken UTF-8 bytes per held-out token, to turn loss into bits per byte
 */
record TrainingData(TokenStream tokens, BpeVocabulary bpe, double heldOutBytesPerToken) {

    /** tokenizer is "bytes" or "bpe:N"; text is corpus.bytes(); dir is the run's output directory. */
    static TrainingData prepare(Corpus corpus, byte[] text, String tokenizer, Path dir, boolean resume, PrintStream err) throws IOException {
        Path tokJson = dir.resolve("tokenizer.json");
        if (tokenizer.equals("bytes")) {
            if (resume && Files.isRegularFile(tokJson)) throw new IllegalArgumentException(dir + " was trained on BPE tokens (" + tokJson + "): pass --tokenizer bpe:N");
            // one source: the last 5% of the bytes, as before sources could be joined
            if (corpus.sources() == 1) return new TrainingData(TokenStream.ofBytes(text), null, 1);
            return new TrainingData(TokenStream.ofBytes(text, corpus.train().getBytes(StandardCharsets.UTF_8).length), null, 1);
        }
        int vocab = bpeSize(tokenizer);
        String train = corpus.train(), heldOutText = corpus.heldOut();
        BpeVocabulary bpe;
        if (resume && Files.isRegularFile(tokJson)) bpe = BpeVocabulary.readTokenizerJson(tokJson);
        else {
            long b0 = System.nanoTime();
            bpe = BpeTrainer.train(train, PreTokenizer.GPT2, vocab, List.of("<|bos|>", "<|eos|>"));
            bpe.writeTokenizerJson(dir);
            err.printf("BPE tokenizer: %d tokens (%d merges) learned from %,d characters in %.1f s; %s%n",
                    bpe.size(), bpe.merges().size(), train.length(), (System.nanoTime() - b0) / 1e9, tokJson);
        }
        Tokenizer tok = bpe.tokenizer();
        if (tok.vocabSize() != vocab) throw new IllegalArgumentException(tokJson + " has " + tok.vocabSize() + " tokens, --tokenizer asks for " + vocab);
        TokenStream data = TokenStream.ofText(tok, train, heldOutText);
        double bytesPerToken = heldOutText.getBytes(StandardCharsets.UTF_8).length / (double) data.heldOutTokens();
        err.printf("corpus: %,d bytes -> %,d tokens (held out: %.2f bytes/token)%n", text.length,
                data.trainTokens() + data.heldOutTokens(), bytesPerToken);
        return new TrainingData(data, bpe, bytesPerToken);
    }

    int vocabSize() { return bpe == null ? TokenStream.BYTE_VOCAB : bpe.tokenizer().vocabSize(); }

    /** The BPE tokenizer, or null for bytes. */
    Tokenizer tokenizer() { return bpe == null ? null : bpe.tokenizer(); }

    /** N of "bpe:N". */
    private static int bpeSize(String spec) {
        if (spec.startsWith("bpe:")) {
            try {
                int n = Integer.parseInt(spec.substring(4));
                if (n >= 258 && n <= 1 << 20) return n;
            } catch (NumberFormatException ignored) { }
        }
        throw new IllegalArgumentException("--tokenizer must be bytes or bpe:N with 258 <= N <= 2^20, got " + spec);
    }
}
