package dev.actlab.langchain4j;

import dev.actlab.model.llama.LlamaModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

/**
 * A LangChain4j {@code ChatModel} answered by an actlab decoder in this JVM, with optional hooks and
 * steering (see {@link ActlabChatBuilder}). A plain language model has no chat template: the
 * messages' texts are joined by newlines and the answer is the model's continuation.
 */
public final class ActlabChatModel implements ChatModel {
    private final DecoderChat chat;

    private ActlabChatModel(DecoderChat chat) { this.chat = chat; }

    public static ActlabChatBuilder<ActlabChatModel> builder() { return new ActlabChatBuilder<>(ActlabChatModel::new); }

    public LlamaModel model() { return chat.model(); }

    @Override public ChatResponse doChat(ChatRequest request) { return chat.response(chat.generate(request, id -> {})); }
}
