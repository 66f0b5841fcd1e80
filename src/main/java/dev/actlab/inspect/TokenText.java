package dev.actlab.inspect;

import dev.actlab.model.tokenizer.ByteLevelBpeTokenizer;
import dev.actlab.model.tokenizer.Tokenizer;

/** How the report names a token: its vocabulary piece when the model has a tokenizer, else its id. */
public final class TokenText {
    private final Tokenizer tokenizer;  // may be null

    public TokenText(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    /**
     * The piece as stored in the vocabulary, or null without a tokenizer. Byte-level BPE pieces are
     * stored in GPT-2's printable byte alphabet ("Ġthe", "Ċ"): those are shown as the text they stand for.
     */
    public String piece(int id) {
        if (tokenizer == null || id < 0 || id >= tokenizer.vocabSize()) return null;
        if (tokenizer instanceof ByteLevelBpeTokenizer) {
            String text = tokenizer.decode(new int[]{id});
            if (!text.isEmpty()) return text;   // special tokens decode to nothing: keep their names
        }
        return tokenizer.piece(id);
    }

    /**
     * The token as it reads in running text: the input bytes it stands for as UTF-8, a byte that is part
     * of a character spelled &lt;0xE2&gt; (never "\uFFFD"), a control token by its name ("&lt;s&gt;", "[CLS]"),
     * "#id" without a tokenizer.
     */
    public String inText(int id) {
        if (tokenizer == null || id < 0 || id >= tokenizer.vocabSize()) return "#" + id;
        byte[] bytes = tokenizer.tokenBytes(id);
        if (bytes == null || bytes.length == 0) return tokenizer.piece(id);
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            StringBuilder b = new StringBuilder();
            for (byte x : bytes) b.append(String.format("<0x%02X>", x & 0xFF));
            return b.toString();
        }
    }

    /** Every token of ids as it reads in running text (see inText). */
    public java.util.List<String> inText(int[] ids) {
        java.util.List<String> out = new java.util.ArrayList<>(ids.length);
        for (int id : ids) out.add(inText(id));
        return out;
    }

    /** A label for tables: the piece with whitespace made visible, or "#id". */
    public String label(int id) { return display(id, piece(id)); }

    /** A token for display: its piece with whitespace made visible, or #id without a piece. */
    public static String display(int id, String piece) {
        if (piece == null) return "#" + id;
        return piece.replace("\n", "\\n").replace("\t", "\\t").replace(' ', '\u2423');
    }

    /**
     * A delimiter: a special token (BOS/EOS, [CLS], [SEP], &lt;s&gt;) or a piece made only of
     * punctuation and whitespace (".", ",", "\n", "▁."). Unknown without a tokenizer.
     */
    public boolean isDelimiter(int id) {
        if (tokenizer != null && (id == tokenizer.bosId() || id == tokenizer.eosId())) return true;
        String p = piece(id);
        if (p == null) return false;
        String s = p.strip();
        if (s.matches("\\[[A-Z]+]|</?s>|<\\|[a-z_]+\\|>")) return true;
        if (s.matches("<0x[0-9A-Fa-f]{2}>")) return !Character.isLetterOrDigit(Integer.parseInt(s.substring(3, 5), 16));  // byte-fallback piece
        s = s.replace("\u2581", "").replace("\u0120", "").replace("\u010A", "");  // SentencePiece / byte-level space and newline marks
        return s.isEmpty() || s.chars().allMatch(ch -> !Character.isLetterOrDigit(ch));
    }
}
