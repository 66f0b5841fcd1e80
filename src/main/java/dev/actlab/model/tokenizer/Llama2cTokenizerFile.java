package dev.actlab.model.tokenizer;

import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama2.c's tokenizer.bin (written by its tokenizer.py export): little-endian int32
 * max_token_length, then for every id until the end of the file a float32 score, an int32 byte
 * length and the piece's UTF-8 bytes, a space standing for SentencePiece's "▁". Ids 0, 1, 2 are
 * unk, BOS ("\n&lt;s&gt;\n") and EOS ("\n&lt;/s&gt;\n"); "&lt;0xNN&gt;" pieces are byte fallbacks. It is a
 * SentencePiece BPE vocabulary: merges by score, with the dummy space prefix, as run.c's encode.
 */
public final class Llama2cTokenizerFile {
    public static final int UNK = 0, BOS = 1, EOS = 2;
    /** No real piece is this long; a larger header means the file is something else. */
    private static final int MAX_PIECE_BYTES = 1 << 16;

    private Llama2cTokenizerFile() {}

    public static SentencePieceBpeTokenizer read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE) throw new FormatException(file, "(file)", 0, "is " + size + " bytes: too large for a tokenizer.bin");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw new FormatException(file, "max_token_length", 0, "the file is " + size + " bytes: too short for a llama2.c tokenizer.bin");
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > MAX_PIECE_BYTES)
            throw new FormatException(file, "max_token_length", 0, "is " + maxLen + ": not a llama2.c tokenizer.bin");
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        while (b.hasRemaining()) {
            int at = b.position(), id = pieces.size();
            if (b.remaining() < 8) throw new FormatException(file, "token " + id, at, "is cut short: " + b.remaining() + " bytes left, a score and a length need 8");
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen) throw new FormatException(file, "token " + id + " length", at + 4, "is " + len + " (max_token_length is " + maxLen + ")");
            if (len > b.remaining()) throw new FormatException(file, "token " + id, at + 8, "needs " + len + " bytes, " + b.remaining() + " are left");
            String piece;
            try { piece = utf8.decode(b.slice(b.position(), len)).toString(); }
            catch (CharacterCodingException e) { throw new FormatException(file, "token " + id, at + 8, "is not valid UTF-8"); }
            b.position(b.position() + len);
            pieces.add(piece);
            scores.add(score);
        }
        if (pieces.size() <= EOS) throw new FormatException(file, "(vocabulary)", size, "has " + pieces.size() + " pieces; unk, BOS and EOS come first");
        int n = pieces.size();
        float[] s = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = scores.get(i);
            String p = pieces.get(i);
            types[i] = i == UNK ? SentencePieceBpeTokenizer.UNKNOWN : i == BOS || i == EOS ? SentencePieceBpeTokenizer.CONTROL : SentencePieceBpeTokenizer.NORMAL;
            if (i == BOS || i == EOS || i == UNK) p = p.strip();           // "\n<s>\n" as exported; the piece is <s>
            pieces.set(i, p.replace(' ', '\u2581'));
        }
        return new SentencePieceBpeTokenizer(pieces, s, types, BOS, EOS, UNK, true);
    }
}
