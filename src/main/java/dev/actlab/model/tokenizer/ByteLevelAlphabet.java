package dev.actlab.model.tokenizer;

/**
 * GPT-2's reversible map from the 256 byte values to printable Unicode characters: printable
 * Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 bytes
 * (control characters, space, soft hyphen...) map to U+0100 onwards in byte order. Byte-level
 * BPE vocabularies store every token as a string of these characters ("Ġ" = space).
 */
public final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {}

    public static char charOf(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte a character stands for, or -1 when it is not in the alphabet. */
    public static int byteOf(char c) { return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1; }

    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = charOf(bytes[i]);
        return new String(out);
    }
}
