package dev.actlab.inspect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes an inspection as report.json (every number, machine-readable) and report.html (the page
 * a person reads). Both are written into a temporary directory inside the target and then moved
 * into place, so a reader never sees half a report.
 */
public final class Report {
    public static final String JSON = "report.json", HTML = "report.html";
    /** snake_case field names, like the rest of actlab's JSON; NaN (undefined statistics) is written as the string "NaN". */
    private static final ObjectMapper MAPPER = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private Report() {}

    public static void write(InspectReport r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".report-");
        try {
            MAPPER.writeValue(tmp.resolve(JSON).toFile(), r);
            Files.writeString(tmp.resolve(HTML), HtmlReport.render(r), StandardCharsets.UTF_8);
            for (String name : new String[]{JSON, HTML})
                Files.move(tmp.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** Any part of a report as indented JSON with the report's field names (for `--json` output). */
    public static String json(Object value) {
        try { return MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value); }
        catch (IOException e) { throw new java.io.UncheckedIOException(e); }
    }

    /** Reads a report.json back (for tests and tools that re-render). */
    public static com.fasterxml.jackson.databind.JsonNode readJson(Path file) throws IOException { return MAPPER.readTree(file.toFile()); }
}
