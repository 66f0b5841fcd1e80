package dev.actlab.quant;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real models the quantization tests run on, and some English text for them. */
final class TestModels {
    private TestModels() {}

    static final String TEXT = """
            The committee met on Tuesday to discuss the budget for the coming year. Several members said that the
            schools needed more money, while others argued that taxes were already too high. After a long debate,
            the chairman proposed a compromise: the county would borrow part of the money and raise the rest from
            a small increase in the sales tax. The proposal was adopted by a vote of seven to four.
            In the afternoon the weather turned cold, and a light rain began to fall over the city. People hurried
            home from work, their collars turned up against the wind. In the old house on the hill, a woman sat by
            the window and watched the lights come on one by one. She had lived there for forty years, and she
            remembered when the streets were quiet and the trees were young. Her son would come on Sunday, she
            thought, and they would talk about the farm and the war and the price of wheat.
            The new theory explains why the planets move as they do. According to its author, the force that holds
            the moon in its orbit is the same force that makes an apple fall to the ground. This simple idea, he
            wrote, accounts for the tides, the shape of the earth, and the paths of the comets.
            """;

    /** actlab's default decoder (models/actlab-brown.gguf in the project directory); skips when absent. */
    static LlamaModel brown() throws IOException {
        Path p = Path.of("models/actlab-brown.gguf");
        assumeTrue(Files.isRegularFile(p), "skipped: " + p.toAbsolutePath() + " is absent");
        return ModelLoader.loadDecoder(p);
    }

    static LlamaModel stories260K() throws IOException { return ModelLoader.loadDecoder(Shared.stories260K()); }

    /** TEXT as the default decoder's tokens, without BOS. */
    static int[] brownTokens(LlamaModel m) { return m.tokenizer().encode(TEXT, false); }

    /** Token ids for stories260K (no tokenizer in the checkpoint): a fixed pseudo-random stream over its vocabulary. */
    static int[] storiesTokens(int n) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 3 + r.nextInt(509);
        return t;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }
}
