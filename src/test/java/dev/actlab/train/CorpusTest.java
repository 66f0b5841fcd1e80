package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    private static String lines(String prefix, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(prefix).append(' ').append(i).append(" of a line of text\n");
        return sb.toString();
    }

    @Test void oneSourceIsSplitAsBeforeSourcesCouldBeJoined(@TempDir Path dir) throws Exception {
        String text = lines("a", 400);
        Path f = dir.resolve("a.txt");
        Files.writeString(f, text);
        Corpus c = Corpus.load(f.toString(), dir);
        int cut = TokenStream.heldOutStart(text);
        assertEquals(text.substring(0, cut), c.train());
        assertEquals(text.substring(cut), c.heldOut());
        assertArrayEquals(Files.readAllBytes(f), c.bytes());
        assertEquals(1, c.sources());
    }

    @Test void joinedSourcesEachHoldOutTheirOwnTail(@TempDir Path dir) throws Exception {
        String a = lines("a", 400), b = lines("b", 1000);
        Files.writeString(dir.resolve("a.txt"), a);
        Files.writeString(dir.resolve("b.txt"), b);
        Corpus c = Corpus.load(dir.resolve("a.txt") + "+" + dir.resolve("b.txt"), dir);
        Corpus ca = Corpus.split("a", a), cb = Corpus.split("b", b);
        assertEquals(ca.train() + cb.train(), c.train());
        assertEquals(ca.heldOut() + cb.heldOut(), c.heldOut());
        assertTrue(c.heldOut().startsWith("a 3") && c.heldOut().contains("b 9"), c.heldOut());
        assertEquals(2, c.sources());
    }

    @Test void badSourcesAreNamed(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> Corpus.load("brown+", dir));
        assertTrue(e.getMessage().contains("empty source"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Corpus.load(dir.resolve("missing.txt").toString(), dir));
        assertTrue(e.getMessage().contains("missing.txt") && e.getMessage().contains("brown, sotu"), e.getMessage());
    }
}
