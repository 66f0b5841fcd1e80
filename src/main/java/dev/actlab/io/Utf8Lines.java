package dev.actlab.io;

import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The lines of a UTF-8 text file (\n or \r\n). Invalid UTF-8 is an error naming the line and the
 * byte offset, never silently replaced: the user should know their input is not what they think.
 */
public final class Utf8Lines {
    private Utf8Lines() {}

    public static List<String> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult r = dec.decode(in, out, true);
        if (r.isError()) {
            int at = in.position(), line = 1;
            for (int i = 0; i < at; i++) if (bytes[i] == '\n') line++;
            throw new FormatException(file, "line " + line, at, String.format("invalid UTF-8 (byte 0x%02X); save the file as UTF-8", bytes[at] & 0xFF));
        }
        dec.flush(out);
        out.flip();
        String text = out.toString();
        if (text.startsWith("\uFEFF")) text = text.substring(1);   // byte order mark
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        if (text.isEmpty()) return List.of();
        return List.of(text.split("\r?\n", -1));
    }
}
