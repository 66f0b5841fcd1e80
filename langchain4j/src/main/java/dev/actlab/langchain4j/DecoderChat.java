package dev.actlab.langchain4j;

import dev.actlab.model.generate.Generation;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.function.IntConsumer;

/**
 * One decoder answering chat requests: the messages become a prompt (ChatPrompt), the request's
 * temperature, top-p and max output tokens override the builder's defaults, and the hooks
 * (steering, user hooks) run in every forward pass. Each request starts its own KV cache and its
 * own sampler from the same seed, so the same request gives the same answer.
 */
final class DecoderChat {
    private final LlamaModel model;
    private final Hooks hooks;
    private final int maxTokens;
    private final double temperature, topP;
    private final long seed;

    DecoderChat(LlamaModel model, Hooks hooks, int maxTokens, double temperature, double topP, long seed) {
        if (model.tokenizer() == null)
            throw new IllegalArgumentException(model.source() + " has no tokenizer: a chat model needs one (use a GGUF or a Hugging Face directory, or load a tokenizer)");
        this.model = model; this.hooks = hooks; this.maxTokens = maxTokens; this.temperature = temperature; this.topP = topP; this.seed = seed;
    }

    LlamaModel model() { return model; }

    /** Generates the answer; onToken sees each id as it is chosen. */
    Generation generate(ChatRequest request, IntConsumer onToken) {
        int[] prompt = model.tokenizer().encode(ChatPrompt.text(request.messages()), true);
        double t = request.temperature() != null ? request.temperature() : temperature;
        double p = request.topP() != null ? request.topP() : topP;
        int max = request.maxOutputTokens() != null ? request.maxOutputTokens() : maxTokens;
        return Generator.generate(model, prompt, max, new Sampler((float) t, (float) p, seed), hooks, onToken);
    }

    ChatResponse response(Generation g) {
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(g.text()))
                .modelName(model.source())
                .tokenUsage(new TokenUsage(g.promptTokens().length, g.generatedTokens().length))
                .finishReason("eos".equals(g.stopReason()) ? FinishReason.STOP : FinishReason.LENGTH)
                .build();
    }
}
