package dev.actlab.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** actlab's MiniLM behind LangChain4j's EmbeddingModel, against LangChain4j's own all-MiniLM-L6-v2 (ONNX Runtime). */
class ActlabEmbeddingModelTest {
    /** Varied: short and long, punctuation, digits, accents, code, a word WordPiece splits; all well under 128 tokens. */
    static final List<String> SENTENCES = List.of(
            "A cat sits on the mat.",
            "The stock market fell sharply after the announcement of new tariffs.",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "How do I reverse a linked list in Java?",
            "int x = 42; return x * 2;",
            "Café au lait costs 3,50 € in Paris.",
            "The quick brown fox jumps over the lazy dog!!!",
            "Quantum entanglement links the states of two particles regardless of distance.",
            "I can't believe it's already December 7th, 2026.",
            "Antidisestablishmentarianism is a notoriously long English word.",
            "Rain");

    static ActlabEmbeddingModel ours;
    static EmbeddingModel reference;

    @BeforeAll static void load() {
        ours = ActlabEmbeddingModel.minilm();
        reference = new AllMiniLmL6V2EmbeddingModel();
    }

    @Test void embeddingsEqualLangChain4jsOwnMiniLm() {
        List<TextSegment> segments = SENTENCES.stream().map(TextSegment::from).toList();
        List<Embedding> a = ours.embedAll(segments).content();
        List<Embedding> b = reference.embedAll(segments).content();
        assertEquals(SENTENCES.size(), a.size());
        double worst = 1;
        for (int i = 0; i < a.size(); i++) {
            assertTrue(ours.encoder().tokenizer().encode(SENTENCES.get(i), true).length < 128, "sentence " + i + " must stay under 128 tokens");
            double cos = cosine(a.get(i).vector(), b.get(i).vector());
            worst = Math.min(worst, cos);
            assertTrue(cos >= 0.99999, "cosine " + cos + " for \"" + SENTENCES.get(i) + "\"");
        }
        System.out.println("actlab EmbeddingModel vs LangChain4j AllMiniLmL6V2EmbeddingModel on " + a.size() + " sentences: worst cosine " + worst);
        assertEquals(384, ours.dimension());
        assertEquals(reference.dimension(), ours.dimension());
    }

    @Test void batchesLargerThanOneForwardPassKeepTheirOrder() {
        List<TextSegment> many = new java.util.ArrayList<>();
        for (int i = 0; i < ActlabEmbeddingModel.BATCH + 5; i++) many.add(TextSegment.from(SENTENCES.get(i % SENTENCES.size()) + " " + i));
        List<Embedding> all = ours.embedAll(many).content();
        for (int i : new int[]{0, ActlabEmbeddingModel.BATCH - 1, ActlabEmbeddingModel.BATCH, many.size() - 1})
            assertTrue(cosine(all.get(i).vector(), ours.embed(many.get(i)).content().vector()) > 0.999999, "text " + i);
    }

    @Test void inMemoryStoreFindsTheNearestSentence() {
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        for (String s : SENTENCES) store.add(ours.embed(s).content(), TextSegment.from(s));
        // each stored sentence finds itself
        for (String s : SENTENCES) {
            EmbeddingMatch<TextSegment> top = nearest(store, s);
            assertEquals(s, top.embedded().text());
            assertTrue(top.score() > 0.99999, "score " + top.score());
        }
        // paraphrases find the sentence that LangChain4j's own model ranks nearest
        for (String q : List.of("A kitten is resting on a rug.", "Share prices dropped after tariffs were announced.",
                "Plants turn sunlight into sugar.", "Reversing a list of nodes in Java", "Two particles can be entangled.")) {
            float[] ref = reference.embed(q).content().vector();
            String expected = SENTENCES.get(0);
            for (String s : SENTENCES)
                if (cosine(ref, reference.embed(s).content().vector()) > cosine(ref, reference.embed(expected).content().vector())) expected = s;
            assertEquals(expected, nearest(store, q).embedded().text(), "nearest to \"" + q + "\"");
        }
    }

    private static EmbeddingMatch<TextSegment> nearest(InMemoryEmbeddingStore<TextSegment> store, String query) {
        return store.search(EmbeddingSearchRequest.builder().queryEmbedding(ours.embed(query).content()).maxResults(1).build()).matches().get(0);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.sqrt(na * nb);
    }
}
