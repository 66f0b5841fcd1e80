package dev.actlab.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Byte-level BPE (GPT-2, Llama 3, Qwen2): text is split by special tokens, then by the
 * pre-tokenizer regex; each piece's UTF-8 bytes become characters of {@link ByteLevelAlphabet},
 * and the adjacent pair with the lowest merge rank is merged until no listed merge applies.
 * Every byte is a token, so nothing is ever unknown.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    private final PieceTable pieces;               // id -> vocabulary string (alphabet characters, or raw text for added tokens); all indexed
    private final PieceTable merges;               // rank -> "left right" (merge strings never contain ' ': space is 'Ġ'); all indexed
    private final PreTokenizer pre;
    private final SpecialTokens special;
    private final Set<Integer> droppedOnDecode;    // control tokens (BOS, EOS, ...)
    private final int bos, eos;
    private final java.text.Normalizer.Form normalization;   // applied before everything else, or null
    // pre-tokens repeat a lot in real text ("the", " and"); bounded, cleared when full
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_ENTRIES = 1 << 16;

    /**
     * @param pieces        id -> token string in the byte-level alphabet
     * @param merges        merge rules "left right", highest priority first
     * @param specialTokens tokens matched verbatim before BPE (text -> id)
     * @param control       ids that decode to nothing
     */
    public ByteLevelBpeTokenizer(List<String> pieces, List<String> merges, PreTokenizer pre,
                                 Map<String, Integer> specialTokens, Set<Integer> control, int bos, int eos) {
        this(pieces, merges, pre, specialTokens, control, bos, eos, null);
    }

    /** As above, with a Unicode normalization of the input text (Qwen2's tokenizer.json asks for NFC). */
    public ByteLevelBpeTokenizer(List<String> pieces, List<String> merges, PreTokenizer pre,
                                 Map<String, Integer> specialTokens, Set<Integer> control, int bos, int eos,
                                 java.text.Normalizer.Form normalization) {
        this.normalization = normalization;
        this.pieces = new PieceTable(pieces);
        for (int i = 0; i < this.pieces.size(); i++) this.pieces.index(i);
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            if (m.indexOf(' ') <= 0 || m.indexOf(' ') != m.lastIndexOf(' ') || m.endsWith(" "))
                throw new IllegalArgumentException("merge " + r + " '" + m + "' is not two tokens separated by one space");
        }
        this.merges = new PieceTable(merges);
        for (int r = 0; r < this.merges.size(); r++) this.merges.index(r);
        this.pre = pre;
        this.special = new SpecialTokens(specialTokens);
        this.droppedOnDecode = Set.copyOf(control);
        this.bos = bos; this.eos = eos;
    }

    @Override public int vocabSize() { return pieces.size(); }
    @Override public String piece(int id) { return pieces.get(id); }
    @Override public int bosId() { return bos; }
    @Override public int eosId() { return eos; }
    public PreTokenizer preTokenizer() { return pre; }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) out.add(bos);
        for (SpecialTokens.Segment s : special.split(text)) {
            if (s.special()) { out.add(s.id()); continue; }
            String t = normalization == null ? s.text() : java.text.Normalizer.normalize(s.text(), normalization);
            for (String piece : pre.split(t)) bpe(ByteLevelAlphabet.encode(piece.getBytes(StandardCharsets.UTF_8)), out);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Merges one pre-token (in alphabet characters) and appends its ids. */
    private void bpe(String word, List<Integer> out) {
        int[] merged = cache.get(word);
        if (merged == null) {
            merged = merge(word);
            if (cache.size() >= CACHE_ENTRIES) cache.clear();
            cache.put(word, merged);
        }
        for (int id : merged) out.add(id);
    }

    private int[] merge(String word) {
        List<Integer> out = new ArrayList<>();
        for (String s : BpeMerge.apply(word, false, this::rank)) {
            int id = pieces.find(s);
            if (id >= 0) { out.add(id); continue; }
            // a merge result missing from the vocabulary: fall back to single bytes
            for (int i = 0; i < s.length(); i++) {
                int b = pieces.find(String.valueOf(s.charAt(i)));
                if (b < 0) throw new IllegalArgumentException("byte-level vocabulary has no token for byte 0x"
                        + Integer.toHexString(ByteLevelAlphabet.byteOf(s.charAt(i))));
                out.add(b);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private double rank(String left, String right) {
        int r = merges.find(left + " " + right);
        return r < 0 ? Double.NaN : r;
    }

    /** The bytes of one token (control tokens: none); a token may hold part of a multi-byte character. */
    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.size());
        if (droppedOnDecode.contains(id)) return new byte[0];
        String p = pieces.get(id);
        if (special.contains(id)) return p.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(p.length());
        for (int i = 0; i < p.length(); i++) {
            int b = ByteLevelAlphabet.byteOf(p.charAt(i));
            if (b >= 0) bytes.write(b);
            else bytes.writeBytes(String.valueOf(p.charAt(i)).getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : tokens) bytes.writeBytes(tokenBytes(id));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
