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

    /** Id of the beginning-of-sequence token, or -1. */
    int bosId();

    /** Id of the end-of-sequence token, or -1. */
    int eosId();
}
