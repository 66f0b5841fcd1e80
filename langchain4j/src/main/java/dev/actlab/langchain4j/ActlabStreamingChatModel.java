package dev.actlab.langchain4j;

import dev.actlab.model.generate.Generation;
import dev.actlab.model.llama.LlamaModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

/**
 * A LangChain4j {@code StreamingChatModel} answered by an actlab decoder: each generated token's text
 * goes to onPartialResponse as soon as it is chosen (the pieces concatenate to the answer), then
 * onCompleteResponse. The generation runs on the caller's thread; errors go to onError.
 */
public final class ActlabStreamingChatModel implements StreamingChatModel {
    private final DecoderChat chat;

    private ActlabStreamingChatModel(DecoderChat chat) { this.chat = chat; }

    public static ActlabChatBuilder<ActlabStreamingChatModel> builder() { return new ActlabChatBuilder<>(ActlabStreamingChatModel::new); }

    public LlamaModel model() { return chat.model(); }

    @Override public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Generation g;
        TextStream stream = new TextStream(chat.model().tokenizer());
        try {
            g = chat.generate(request, id -> {
                String piece = stream.add(id);
                if (!piece.isEmpty()) handler.onPartialResponse(piece);
            });
            String rest = stream.finish(g.text());
            if (!rest.isEmpty()) handler.onPartialResponse(rest);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(chat.response(g));
    }
}
