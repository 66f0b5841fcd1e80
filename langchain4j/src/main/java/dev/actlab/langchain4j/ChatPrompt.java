package dev.actlab.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The text a plain language model continues for a list of chat messages. actlab's decoders
 * (actlab-brown, stories260K, base Llama checkpoints) have no chat template, so the messages'
 * texts are joined by newlines in order, and the model's answer is the continuation of the last.
 */
final class ChatPrompt {
    private ChatPrompt() {}

    static String text(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("the chat request has no messages");
        List<String> parts = new ArrayList<>();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> parts.add(s.text());
                case UserMessage u -> {
                    if (!u.hasSingleText()) throw new IllegalArgumentException("a user message with non-text contents (images, audio, ...) cannot be given to a text decoder");
                    parts.add(u.singleText());
                }
                case AiMessage a -> { if (a.text() != null) parts.add(a.text()); }
                default -> throw new IllegalArgumentException("a " + m.type() + " message cannot be given to a plain text decoder (no tool calls)");
            }
        }
        String text = String.join("\n", parts);
        if (text.isBlank()) throw new IllegalArgumentException("the chat messages hold no text to continue");
        return text;
    }
}
