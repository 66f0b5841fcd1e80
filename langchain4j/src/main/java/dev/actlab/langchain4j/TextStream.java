package dev.actlab.langchain4j;

import dev.actlab.model.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Turns generated ids, one at a time, into text pieces whose concatenation is the decoded text of
 * all ids. A token may hold part of a UTF-8 character (byte tokens such as {@code <0xE2>}): text
 * ending in a replacement character is held back until the next token completes it.
 */
final class TextStream {
    private final Tokenizer tokenizer;
    private int[] ids = new int[16];
    private int n;
    private String emitted = "";

    TextStream(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    /** The new text that id adds (possibly empty). */
    String add(int id) {
        if (n == ids.length) ids = Arrays.copyOf(ids, 2 * n);
        ids[n++] = id;
        String text = tokenizer.decode(Arrays.copyOf(ids, n));
        if (text.endsWith("\uFFFD") || !text.startsWith(emitted)) return "";
        return take(text);
    }

    /** What remains once generation has ended: the decoded text of all ids minus what was emitted. */
    String finish(String fullText) {
        if (!fullText.startsWith(emitted))
            throw new IllegalStateException("streamed text \"" + emitted + "\" is not a prefix of the decoded answer \"" + fullText + "\"");
        return take(fullText);
    }

    private String take(String text) {
        String piece = text.substring(emitted.length());
        emitted = text;
        return piece;
    }
}
