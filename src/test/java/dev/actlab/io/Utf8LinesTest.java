package dev.actlab.io;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Utf8LinesTest {
    @Test void readsLines(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ok.txt");
        Files.writeString(f, "\uFEFFfirst line\r\nsecond — café\n\nfourth\n", StandardCharsets.UTF_8);
        assertEquals(List.of("first line", "second — café", "", "fourth"), Utf8Lines.read(f));
    }

    @Test void invalidUtf8NamesLineAndOffset(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("latin1.txt");
        byte[] bytes = "ok line\ncaf\u00e9 in Latin-1\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(f, bytes);
        FormatException e = assertThrows(FormatException.class, () -> Utf8Lines.read(f));
        assertEquals("line 2", e.field());
        assertEquals(11, e.offset());
        assertTrue(e.getMessage().contains("invalid UTF-8"), e.getMessage());
    }
}
