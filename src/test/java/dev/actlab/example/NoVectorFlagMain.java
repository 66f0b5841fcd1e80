package dev.actlab.example;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.onnx.MiniLm;
import java.nio.file.Path;

/** Run by VectorModuleTest in a JVM started without the Vector API module: prints what each entry point throws. */
public final class NoVectorFlagMain {
    public static void main(String[] args) {
        Runnable[] entries = {
                () -> { try { ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf")); } catch (java.io.IOException e) { throw new RuntimeException(e); } },
                () -> { try { ModelLoader.load("minilm"); } catch (java.io.IOException e) { throw new RuntimeException(e); } },
                () -> { try { MiniLm.load(); } catch (java.io.IOException e) { throw new RuntimeException(e); } },
                () -> { try { dev.actlab.model.load.ModelRef.load(null); } catch (java.io.IOException e) { throw new RuntimeException(e); } },
        };
        for (Runnable r : entries) {
            try {
                r.run();
                System.out.println("no exception");
            } catch (Throwable t) {
                System.out.println(t.getClass().getName() + ": " + t.getMessage());
            }
        }
    }
}
