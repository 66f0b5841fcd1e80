package dev.actlab.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads the text and token-id files commands take, with errors that name the file. */
final class TextInput {
    private TextInput() {}

    /** A UTF-8 text file; invalid UTF-8 is an error naming the byte offset, not silently replaced. */
    static String utf8(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": is a directory, not a text file");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": invalid UTF-8 at byte offset " + in.position());
        }
    }

    /** A file of token ids separated by whitespace or commas. */
    static int[] tokenIds(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": is a directory, not a file of token ids");
        String s = Files.readString(file).trim();
        if (s.isEmpty()) throw new IllegalArgumentException(file + ": no token ids");
        try {
            return Arrays.stream(s.split("[\\s,]+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": not a list of token ids (" + e.getMessage() + ")");
        }
    }
}
