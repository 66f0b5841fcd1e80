package dev.actlab.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece BPE as in Llama 1/2 and llama.cpp's "llama" tokenizer model: spaces become "▁"
 * (with one "▁" prepended when addSpacePrefix), the text starts as one symbol per Unicode
 * character, and the adjacent pair whose concatenation is the vocabulary piece with the highest
 * score is merged (leftmost on ties) until no concatenation is in the vocabulary. Symbols left
 * outside the vocabulary become their UTF-8 bytes as "&lt;0xNN&gt;" tokens, or unk when the
 * vocabulary has no byte tokens. User-defined pieces are matched verbatim before BPE; control
 * pieces (&lt;s&gt;, &lt;/s&gt;) are never produced from text, as in SentencePiece (llama.cpp's
 * parse_special mode, which matches them, is not reproduced).
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    /** GGUF tokenizer.ggml.token_type values. */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private final PieceTable pieces;                                  // id -> piece; indexed: the pieces merges may produce
    private final float[] scores;
    private final int[] types;
    private final int[] byteIds = new int[256];                       // <0xNN> -> id, or -1
    private final SpecialTokens special;
    private final int bos, eos, unk;
    private final boolean addSpacePrefix;

    /**
     * @param scores merge priority of each piece (higher first); NaN = never the result of a merge
     * @param types  GGUF token types per id (NORMAL ... BYTE); byte tokens are recognised by type
     *               or, with type NORMAL, by their "&lt;0xNN&gt;" spelling
     */
    public SentencePieceBpeTokenizer(List<String> pieces, float[] scores, int[] types, int bos, int eos, int unk, boolean addSpacePrefix) {
        this(pieces, scores, types, bos, eos, unk, addSpacePrefix, false);
    }

    /** As above; matchControl also matches control pieces in the text (Hugging Face added tokens behave so). */
    public SentencePieceBpeTokenizer(List<String> pieces, float[] scores, int[] types, int bos, int eos, int unk,
                                     boolean addSpacePrefix, boolean matchControl) {
        if (scores.length != pieces.size() || types.length != pieces.size())
            throw new IllegalArgumentException(pieces.size() + " tokens but " + scores.length + " scores and " + types.length + " types");
        this.pieces = new PieceTable(pieces);
        this.scores = scores.clone();
        this.types = types.clone();
        java.util.Arrays.fill(byteIds, -1);
        Map<String, Integer> specials = new HashMap<>();
        for (int i = 0; i < this.pieces.size(); i++) {
            if (types[i] == NORMAL && this.pieces.length(i) != 6) { this.pieces.index(i); continue; }   // the common case, no String made
            String p = this.pieces.get(i);
            int b = byteValue(p);
            if (b >= 0 && (types[i] == BYTE || types[i] == NORMAL)) { if (byteIds[b] < 0) byteIds[b] = i; this.types[i] = BYTE; continue; }
            switch (types[i]) {
                case NORMAL -> this.pieces.index(i);
                case USER_DEFINED -> { this.pieces.index(i); specials.putIfAbsent(p, i); }
                case CONTROL -> { if (matchControl && !p.isEmpty()) specials.putIfAbsent(p, i); }
                default -> { }
            }
        }
        this.special = new SpecialTokens(specials);
        this.bos = bos; this.eos = eos; this.unk = unk;
        this.addSpacePrefix = addSpacePrefix;
    }

    /** 0..255 for a "&lt;0xNN&gt;" piece, else -1. */
    static int byteValue(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        try { return Integer.parseInt(p.substring(3, 5), 16); } catch (NumberFormatException e) { return -1; }
    }

    @Override public int vocabSize() { return pieces.size(); }
    @Override public String piece(int id) { return pieces.get(id); }
    @Override public int bosId() { return bos; }
    @Override public int eosId() { return eos; }
    public float score(int id) { return scores[id]; }

    /** SentencePiece's dummy prefix: a space put before the text, which the first piece carries. */
    public boolean addsSpacePrefix() { return addSpacePrefix; }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) out.add(bos);
        // SentencePiece's dummy prefix goes before the whole text, even when it starts with a user-defined piece
        String t = addSpacePrefix && !text.isEmpty() ? " " + text : text;
        for (SpecialTokens.Segment s : special.split(t)) {
            if (s.special()) out.add(s.id());
            else bpe(s.text().replace(' ', '\u2581'), out);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void bpe(String text, List<Integer> out) {
        List<String> symbols = BpeMerge.apply(text, true, this::rank);
        for (String s : symbols) {
            int id = pieces.find(s);
            if (id >= 0) { out.add(id); continue; }
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                int bid = byteIds[b & 0xFF];
                if (bid >= 0) out.add(bid);
                else if (unk >= 0) { out.add(unk); break; }
                else throw new IllegalArgumentException("'" + s + "' is not in the vocabulary, which has neither byte tokens nor unk");
            }
        }
    }

    /** Minus the score of the concatenation when it is a piece merges may produce (higher scores merge first), else NaN. */
    private double rank(String left, String right) {
        int id = pieces.find(left + right);
        return id < 0 || Float.isNaN(scores[id]) ? Double.NaN : -(double) scores[id];
    }

    /** "▁" as a space (the dummy prefix too: TokenOffsets places it), a byte token's byte, nothing for control tokens. */
    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.size());
        return switch (types[id]) {
            case CONTROL, UNUSED -> new byte[0];
            case BYTE -> new byte[]{(byte) byteValue(pieces.get(id))};
            default -> pieces.get(id).replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    /** Pieces joined with "▁" as space, byte tokens reassembled into UTF-8; the dummy prefix space is removed. */
    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : tokens) bytes.writeBytes(tokenBytes(id));
        String s = bytes.toString(StandardCharsets.UTF_8);
        return addSpacePrefix && s.startsWith(" ") ? s.substring(1) : s;
    }
}
