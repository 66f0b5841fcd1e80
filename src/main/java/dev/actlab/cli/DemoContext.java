package dev.actlab.cli;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.onnx.MiniLm;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** What demo steps share: the report folder, the terminal, the thread count, and models loaded once. */
final class DemoContext {
    final Path outDir;
    final PrintStream out;
    final int threads;
    private BertModel encoder;

    DemoContext(Path outDir, PrintStream out, int threads) { this.outDir = outDir; this.out = out; this.threads = threads; }

    /** The built-in all-MiniLM-L6-v2, loaded on first use. */
    BertModel encoder() throws IOException {
        if (encoder == null) encoder = MiniLm.load();
        return encoder;
    }
}
