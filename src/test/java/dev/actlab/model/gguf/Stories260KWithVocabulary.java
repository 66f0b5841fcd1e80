package dev.actlab.model.gguf;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.tokenizer.SyntheticVocabulary;
import dev.actlab.tensor.DType;
import java.nio.file.Path;

/**
 * stories260K (a trained model, and a file that does not change) as a GGUF that llama.cpp loads: its
 * weights in llama.cpp's layout plus the made-up SentencePiece vocabulary of `actlab synth` (512
 * pieces, as stories260K's: unk 0, BOS 1, EOS 2, 256 byte-fallback pieces, letter pieces). Text
 * tokenized with that vocabulary is not what stories260K was trained on, but the model's
 * distributions stay peaked, so F32 against a quantized copy gives a real KL divergence. The llama.cpp
 * fixtures of the imatrix and ppl --protocol llama.cpp tests are made on these files
 * (src/test/scripts/make_llamacpp_eval_fixtures.sh calls main); same input, same bytes.
 */
public final class Stories260KWithVocabulary {
    private Stories260KWithVocabulary() {}

    public static void write(Path stories260KBin, DType type, Path out) throws Exception {
        LlamaModel m = Llama2cReader.read(stories260KBin);
        GgufWriter w = GgufLlamaWriter.export(m, type, "stories260K");
        RandomLlamaGguf.putTokenizer(w, SyntheticVocabulary.of(m.config().vocabSize()));
        w.write(out);
    }

    /**
     * The same model with its matrices quantized to type and dequantized back, stored F32: a model that
     * differs from the original by the weight rounding alone, which llama.cpp then runs with the same F32
     * kernels as the original (its quantized matmuls would also round the activations to 8 bits).
     */
    public static void writeRoundTrip(Path stories260KBin, DType type, Path out) throws Exception {
        Path tmp = java.nio.file.Files.createTempFile(out.toAbsolutePath().getParent(), "roundtrip", ".gguf");
        try {
            write(stories260KBin, type, tmp);
            LlamaModel q = dev.actlab.model.load.ModelLoader.loadDecoder(tmp);
            GgufWriter w = GgufLlamaWriter.export(q, DType.F32, "stories260K");
            RandomLlamaGguf.putTokenizer(w, SyntheticVocabulary.of(q.config().vocabSize()));
            w.write(out);
        } finally {
            java.nio.file.Files.deleteIfExists(tmp);
        }
    }

    /** args: stories260K.bin, type (F32, Q4_0, ...; TYPE-as-F32 for writeRoundTrip), output .gguf */
    public static void main(String[] args) throws Exception {
        if (args[1].endsWith("-as-F32")) writeRoundTrip(Path.of(args[0]), DType.valueOf(args[1].replace("-as-F32", "")), Path.of(args[2]));
        else write(Path.of(args[0]), DType.valueOf(args[1]), Path.of(args[2]));
    }
}
