package dev.actlab.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.model.generate.Generation;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.steer.ControlVector;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chat adapters on actlab's default decoder (models/actlab-en.gguf), against Generator run directly. */
class ActlabChatModelTest {
    static final String PROMPT = "The jury said";
    static LlamaModel model;

    @BeforeAll static void load() throws Exception { model = ModelRef.decoder(null); }

    /** The text Generator gives for the prompt, with the same sampler settings and hooks. */
    static String direct(String prompt, int maxTokens, Sampler sampler, Hooks hooks) {
        Generation g = Generator.generate(model, model.tokenizer().encode(prompt, true), maxTokens, sampler, hooks, id -> {});
        return g.text();
    }

    @Test void chatAnswerIsTheDecodersContinuation() {
        ActlabChatModel chat = ActlabChatModel.builder().maxTokens(24).build();   // no model: the default decoder
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from(PROMPT)).build());
        String expected = direct(PROMPT, 24, Sampler.greedy(), Hooks.none());
        assertFalse(expected.isBlank());
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(model.tokenizer().encode(PROMPT, true).length, r.tokenUsage().inputTokenCount());
        assertEquals(24, r.tokenUsage().outputTokenCount());
        assertEquals(expected, chat.chat(PROMPT), "chat(String) gives the same answer");
        System.out.println("actlab ChatModel: \"" + PROMPT + "\" -> \"" + r.aiMessage().text() + "\"");
    }

    @Test void streamingPiecesConcatenateToTheFullAnswer() {
        // sampled (temperature 0.9) so that rarer tokens, byte pieces among them, have a chance to appear
        for (long seed : new long[]{1, 2, 3}) {
            ActlabStreamingChatModel streaming = ActlabStreamingChatModel.builder().model(model).maxTokens(40).temperature(0.9).seed(seed).build();
            List<String> pieces = new ArrayList<>();
            AtomicReference<ChatResponse> done = new AtomicReference<>();
            streaming.chat(PROMPT + " that Café", handler(pieces, done));
            String answer = done.get().aiMessage().text();
            assertEquals(answer, String.join("", pieces));
            assertTrue(pieces.size() > 5, "streamed in pieces: " + pieces);
            assertEquals(direct(PROMPT + " that Café", 40, new Sampler(0.9f, 0.9f, seed), Hooks.none()), answer);
            ActlabChatModel blocking = ActlabChatModel.builder().model(model).maxTokens(40).temperature(0.9).seed(seed).build();
            assertEquals(answer, blocking.chat(PROMPT + " that Café"), "same seed, same answer");
        }
    }

    @Test void requestParametersOverrideTheDefaults() {
        ActlabChatModel chat = ActlabChatModel.builder().model(model).maxTokens(64).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from(PROMPT)).maxOutputTokens(5).build());
        assertEquals(5, r.tokenUsage().outputTokenCount());
        assertEquals(direct(PROMPT, 5, Sampler.greedy(), Hooks.none()), r.aiMessage().text());
    }

    @Test void aControlVectorSteersTheAnswerAsAHandWrittenHookDoes() {
        // a fixed random direction of norm 8, added to the output of layer 1 at every position
        float[] dir = new float[model.dModel()];
        SplittableRandom rnd = new SplittableRandom(7);
        double norm = 0;
        for (int i = 0; i < dir.length; i++) { dir[i] = (float) rnd.nextGaussian(); norm += dir[i] * dir[i]; }
        for (int i = 0; i < dir.length; i++) dir[i] *= (float) (8 / Math.sqrt(norm));
        ControlVector cv = new ControlVector("test", model.dModel(), Map.of(1, dir), "random direction");
        List<int[]> seen = new ArrayList<>();
        Hooks watch = Hooks.of("blocks.1.hook_resid_post", a -> seen.add(a.shape.clone()));
        ActlabChatModel steered = ActlabChatModel.builder().model(model).maxTokens(24).controlVector(cv, 1.5f).hooks(watch).build();
        String answer = steered.chat(PROMPT);
        Hooks byHand = Hooks.of("blocks.1.hook_resid_post", a -> {
            for (int p = 0; p < a.shape[0]; p++)
                for (int c = 0; c < a.shape[1]; c++) a.set(a.get(p, c) + 1.5f * dir[c], p, c);
        });
        assertEquals(direct(PROMPT, 24, Sampler.greedy(), byHand), answer);
        assertNotEquals(direct(PROMPT, 24, Sampler.greedy(), Hooks.none()), answer, "the steering changes the answer");
        assertEquals(24, seen.size(), "the user's hook ran in the prefill and in every decode step but the last");
    }

    @Test void messagesAreJoinedByNewlines() {
        ActlabChatModel chat = ActlabChatModel.builder().model(model).maxTokens(8).build();
        String answer = chat.chat(UserMessage.from("It was cold."), AiMessage.from("The wind blew."), UserMessage.from(PROMPT)).aiMessage().text();
        assertEquals(direct("It was cold.\nThe wind blew.\n" + PROMPT, 8, Sampler.greedy(), Hooks.none()), answer);
    }

    @Test void aToolResultIsRefusedThroughOnError() {
        ActlabStreamingChatModel streaming = ActlabStreamingChatModel.builder().model(model).build();
        AtomicReference<Throwable> error = new AtomicReference<>();
        streaming.chat(List.of(UserMessage.from(PROMPT), ToolExecutionResultMessage.from("id", "tool", "42")), new StreamingChatResponseHandler() {
            @Override public void onCompleteResponse(ChatResponse r) { throw new AssertionError("no answer expected"); }
            @Override public void onError(Throwable t) { error.set(t); }
        });
        assertInstanceOf(IllegalArgumentException.class, error.get());
        assertTrue(error.get().getMessage().contains("TOOL_EXECUTION_RESULT"), error.get().getMessage());
    }

    private static StreamingChatResponseHandler handler(List<String> pieces, AtomicReference<ChatResponse> done) {
        return new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String piece) { pieces.add(piece); }
            @Override public void onCompleteResponse(ChatResponse r) { done.set(r); }
            @Override public void onError(Throwable t) { throw new AssertionError(t); }
        };
    }
}
