package dev.actlab.model.tokenizer;

/** Text to token ids and back. */
public interface Tokenizer {
    int vocabSize();

    /** Token ids of the text; prepends the BOS token when addBos and the vocabulary has one. */
    int[] encode(String text, boolean addBos);

    /** Text of a sequence of ids (special tokens such as BOS are dropped). */
    String decode(int[] ids);

    /** The vocabulary entry of one id as stored (for tables and reports). */
    String piece(int id);

    /**
     * The UTF-8 bytes of input text this token stands for, for aligning tokens with the text
     * (TokenOffsets): empty for control tokens, null for a token that replaced text it does not
     * spell (an unknown word). By default the token decoded on its own.
     */
    default byte[] tokenBytes(int id) { return decode(new int[]{id}).getBytes(java.nio.charset.StandardCharsets.UTF_8); }

    /** Id of the beginning-of-sequence token, or -1. */
    int bosId();

    /** Id of the end-of-sequence token, or -1. */
    int eosId();
}
