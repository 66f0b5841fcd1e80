package dev.actlab.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Where each token of an encoded text lies in that text: [start, end) offsets into its UTF-8
 * bytes, found by walking the text with each token's {@link Tokenizer#tokenBytes}. Exact for the
 * lossless tokenizers (byte-level BPE; SentencePiece, whose dummy-prefix space covers no text);
 * WordPiece pieces are matched against the text as BERT normalizes it (whitespace dropped,
 * lowercase, accents stripped), an [UNK] covers the rest of its word. Control tokens get an empty
 * span where they stand; a token that cannot be placed gets -1, -1 and the walk goes on after it.
 */
public final class TokenOffsets {
    private TokenOffsets() {}

    /** [2 * ids.length]: start and end byte offset of each token, -1 where it could not be placed. */
    public static long[] of(Tokenizer tokenizer, String text, int[] ids) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        WordPieceTokenizer wp = tokenizer instanceof WordPieceTokenizer w ? w : null;
        long[] out = new long[2 * ids.length];
        // the space SentencePiece puts before the text is carried by the first piece and covers no text
        boolean dummyPrefix = tokenizer instanceof SentencePieceBpeTokenizer sp && sp.addsSpacePrefix() && !text.isEmpty();
        int c = 0;
        for (int i = 0; i < ids.length; i++) {
            byte[] t = tokenizer.tokenBytes(ids[i]);
            if (dummyPrefix && t != null && t.length > 0) {
                if (t[0] == ' ') t = java.util.Arrays.copyOfRange(t, 1, t.length);
                dummyPrefix = false;
            }
            int start = -1, end = -1;
            if (t == null) {                                   // an unknown word: skip to it, then to its end
                start = skipSpaces(b, c, wp);
                end = wordEnd(b, start);
            } else if (t.length == 0) {
                start = end = c;
            } else if (startsWith(b, c, t, 0)) {
                start = c; end = c + t.length;
            } else if (wp != null) {
                int s = skipSpaces(b, c, wp);
                int e = matchNormalized(b, s, new String(t, StandardCharsets.UTF_8), wp);
                if (e >= 0) { start = s; end = e; }
            }
            out[2 * i] = start; out[2 * i + 1] = end;
            if (end >= 0) c = end;
        }
        return out;
    }

    private static boolean startsWith(byte[] b, int at, byte[] t, int from) {
        if (at + t.length - from > b.length) return false;
        for (int k = from; k < t.length; k++) if (b[at + k - from] != t[k]) return false;
        return true;
    }

    /** The first offset from c that is not whitespace (or, for WordPiece, text its cleaning drops). */
    private static int skipSpaces(byte[] b, int c, WordPieceTokenizer wp) {
        while (c < b.length) {
            int cp = codePointAt(b, c);
            boolean skip = wp != null ? wp.normalize(new String(Character.toChars(cp))).isBlank() : Character.isWhitespace(cp);
            if (!skip) break;
            c += utf8Length(cp);
        }
        return c;
    }

    /** End of the word starting at c: the next whitespace or punctuation character (BERT's word boundaries). */
    private static int wordEnd(byte[] b, int c) {
        while (c < b.length) {
            int cp = codePointAt(b, c);
            if (WordPieceTokenizer.isWhitespace(cp) || WordPieceTokenizer.isPunctuation(cp)) break;
            c += utf8Length(cp);
        }
        return c;
    }

    /** Consumes characters from c whose normalized forms spell piece; returns the end offset, or -1. */
    private static int matchNormalized(byte[] b, int c, String piece, WordPieceTokenizer wp) {
        int k = 0;
        while (k < piece.length()) {
            if (c >= b.length) return -1;
            int cp = codePointAt(b, c);
            String n = wp.normalize(new String(Character.toChars(cp))).strip();
            if (!piece.startsWith(n, k)) return -1;
            k += n.length();
            c += utf8Length(cp);
        }
        return c;
    }

    private static int codePointAt(byte[] b, int c) {
        int x = b[c] & 0xFF;
        int len = x < 0x80 ? 1 : x < 0xE0 ? 2 : x < 0xF0 ? 3 : 4;
        return new String(b, c, Math.min(len, b.length - c), StandardCharsets.UTF_8).codePointAt(0);
    }

    private static int utf8Length(int cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }
}
