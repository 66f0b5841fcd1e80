package dev.actlab.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A made-up SentencePiece vocabulary of any size >= 259 for random-weight models (`actlab synth`),
 * laid out as llama.cpp's "llama" tokenizer model expects: 0 {@code <unk>}, 1 {@code <s>} (BOS),
 * 2 {@code </s>} (EOS), 3..258 the byte-fallback tokens {@code <0x00>}..{@code <0xFF>}, then
 * normal pieces: "▁", the printable ASCII characters, and for length 1, 2, 3, ... every lowercase
 * string s as "▁s" and (from length 2) s. Every piece's left part is itself a piece, so BPE merges
 * reach each one; the scores rank earlier (shorter) pieces first. Any text encodes (bytes cover the rest).
 */
public record SyntheticVocabulary(List<String> tokens, float[] scores, int[] types) {
    public static final int UNK = 0, BOS = 1, EOS = 2, FIRST_BYTE = 3, FIRST_PIECE = FIRST_BYTE + 256;

    public static SyntheticVocabulary of(int size) {
        if (size < FIRST_PIECE + 1)
            throw new IllegalArgumentException("a synthetic vocabulary needs at least " + (FIRST_PIECE + 1) + " tokens (specials, 256 bytes, '▁'), not " + size);
        List<String> tokens = new ArrayList<>(size);
        tokens.add("<unk>");
        tokens.add("<s>");
        tokens.add("</s>");
        for (int b = 0; b < 256; b++) tokens.add(String.format("<0x%02X>", b));
        tokens.add("\u2581");
        for (char c = '!'; c <= '~' && tokens.size() < size; c++) tokens.add(String.valueOf(c));
        for (int len = 1; tokens.size() < size; len++) {
            long count = (long) Math.pow(26, len);
            for (long k = 0; k < count && tokens.size() < size; k++) {
                String s = letters(k, len);
                tokens.add("\u2581" + s);
                if (len >= 2 && tokens.size() < size) tokens.add(s);
            }
        }
        float[] scores = new float[size];
        int[] types = new int[size];
        types[UNK] = SentencePieceBpeTokenizer.UNKNOWN;
        types[BOS] = types[EOS] = SentencePieceBpeTokenizer.CONTROL;
        for (int i = FIRST_BYTE; i < FIRST_PIECE; i++) types[i] = SentencePieceBpeTokenizer.BYTE;
        for (int i = FIRST_PIECE; i < size; i++) { types[i] = SentencePieceBpeTokenizer.NORMAL; scores[i] = -(i - FIRST_PIECE); }
        return new SyntheticVocabulary(List.copyOf(tokens), scores, types);
    }

    /** The k-th string of len lowercase letters (base 26, 'a' = 0). */
    private static String letters(long k, int len) {
        char[] c = new char[len];
        for (int i = len - 1; i >= 0; i--) { c[i] = (char) ('a' + k % 26); k /= 26; }
        return new String(c);
    }

    /** The tokenizer actlab builds from the same vocabulary (as GgufTokenizers does from the GGUF keys). */
    public SentencePieceBpeTokenizer tokenizer() {
        return new SentencePieceBpeTokenizer(tokens, scores, types, BOS, EOS, UNK, true);
    }
}
