package dev.actlab.langchain4j;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.EncoderOutput;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.DimensionAwareEmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A LangChain4j {@code EmbeddingModel} computed by actlab's pure-Java BERT encoder: the mean of the
 * last hidden states over the tokens, L2-normalised (as sentence-transformers' all-MiniLM-L6-v2 and
 * LangChain4j's own in-process models). Any encoder actlab loads: the built-in MiniLM, a BERT .onnx
 * file, a Hugging Face BERT directory or a bert GGUF. Optional hooks see (and may edit) every
 * forward pass, e.g. to record or ablate an activation while a vector store is filled.
 */
public final class ActlabEmbeddingModel extends DimensionAwareEmbeddingModel {
    /** Texts per forward pass (packed without padding, so the batch size only bounds memory). */
    static final int BATCH = 32;

    private final BertModel encoder;
    private final Hooks hooks;

    public ActlabEmbeddingModel(BertModel encoder, Hooks hooks) {
        this.encoder = encoder;
        this.hooks = hooks == null ? Hooks.none() : hooks;
        this.dimension = encoder.dModel();
    }

    public ActlabEmbeddingModel(BertModel encoder) { this(encoder, Hooks.none()); }

    /** The built-in all-MiniLM-L6-v2 (384 dimensions). */
    public static ActlabEmbeddingModel minilm() { return of(ModelLoader.MINILM); }

    /** An encoder by actlab's --model syntax: minilm, a .onnx file, a Hugging Face BERT directory or a bert GGUF. */
    public static ActlabEmbeddingModel of(String model) {
        try { return new ActlabEmbeddingModel(ModelRef.encoder(model)); }
        catch (IOException e) { throw new UncheckedIOException(e); }
    }

    public BertModel encoder() { return encoder; }

    @Override public String modelName() { return encoder.source(); }

    @Override public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<Embedding> out = new ArrayList<>(segments.size());
        int tokens = 0;
        for (int from = 0; from < segments.size(); from += BATCH) {
            List<TextSegment> chunk = segments.subList(from, Math.min(segments.size(), from + BATCH));
            int[][] ids = new int[chunk.size()][];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = encoder.tokenizer().encode(chunk.get(i).text(), true);   // [CLS] ... [SEP], truncated to the model's length
                tokens += ids[i].length;
            }
            EncoderOutput hidden = encoder.forward(ids, null, hooks);
            for (int i = 0; i < ids.length; i++) out.add(Embedding.from(hidden.meanPooledNormalized(i)));
        }
        return Response.from(out, new TokenUsage(tokens));
    }
}
