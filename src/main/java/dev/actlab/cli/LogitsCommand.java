package dev.actlab.cli;

import dev.actlab.io.AtomicFile;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logits", description = "Write the logits after each position: float32 little-endian, [positions x vocab].")
final class LogitsCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--prompt") String prompt;
    @Option(names = "--tokens", description = "Token ids, e.g. \"1 403 407\".") String tokens;
    @Option(names = "--out", required = true, description = "Output file (.f32).") Path out;
    @Mixin ThreadsOption threads;
    @Mixin ControlVectorOptions steering;
    @Mixin CheckFiniteOption finite;

    @Override public Integer call() throws Exception {
        threads.apply();
        OutputPath.file("--out", out);
        LlamaModel m = model.decoder();
        int[] ids = TokenArgs.resolve(m, prompt, tokens);
        float[] logits = m.runWithHooks(ids, finite.with(steering.hooks(m), m));
        writeF32(out, logits);
        spec.commandLine().getErr().printf("wrote %d positions x %d logits to %s%n", ids.length, m.config().vocabSize(), out);
        return 0;
    }

    /** Writes to a temporary file beside the target, then moves it into place: never a half-written file. */
    static void writeF32(Path target, float[] values) throws IOException {
        AtomicFile.write(target, tmp -> {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    if (!buf.hasRemaining()) { os.write(buf.array(), 0, buf.position()); buf.clear(); }
                    buf.putFloat(v);
                }
                os.write(buf.array(), 0, buf.position());
            }
        });
    }
}
