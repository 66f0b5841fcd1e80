package dev.actlab.cli;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/** What every *-sweep command does with its finished table: DIR/sweep.json and DIR/sweep.html, then JSON or text on stdout. */
final class SweepOutput {
    private SweepOutput() {}

    /**
     * @param out    the --out folder, or null for stdout only
     * @param html   the chart page, rendered only when out is given
     * @param header the text lines printed above the table (ends with its line breaks)
     */
    static void write(PrintWriter pw, Path out, boolean json, Map<String, Object> report, Supplier<String> html, String header, String table)
            throws IOException {
        if (out != null) {
            Files.createDirectories(out);
            AtomicFile.writeString(out.resolve("sweep.json"), Json.write(report));
            AtomicFile.writeString(out.resolve("sweep.html"), html.get());
        }
        if (json) pw.println(Json.write(report));
        else {
            pw.print(header);
            pw.print(table);
            if (out != null) pw.printf("%nwrote %s and %s%n", out.resolve("sweep.json"), out.resolve("sweep.html"));
        }
        pw.flush();
    }
}
