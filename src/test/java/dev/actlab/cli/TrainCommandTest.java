package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    static final String TEXT = """
            The cat sat on the mat. The dog sat on the log. The bird sat in the tree and sang all day,
            and the children listened from the garden until the sun went down behind the hills.
            """.repeat(8);

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static String[] args(Path corpus, Path out, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--corpus", corpus.toString(), "--config", "tiny",
                "--tokens", "2560", "--out", out.toString(), "--ctx", "32", "--batch", "4", "--eval-every", "10",
                "--eval-batches", "1", "--log-every", "5", "--threads", "2", "--seed", "3"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsWritesMetricsCheckpointAndARunnableModel_andAStoppedRunResumesToTheSameModel(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, TEXT, StandardCharsets.UTF_8);
        Path a = dir.resolve("a");
        Result r = run(args(corpus, a));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("trained 20 steps"), r.out());
        List<String> metrics = Files.readAllLines(a.resolve("metrics.jsonl"));
        assertEquals(4 + 2, metrics.size(), String.join("\n", metrics));   // steps 5, 10, 15, 20 and held-out at 10, 20
        assertTrue(metrics.get(metrics.size() - 1).contains("heldout_loss"));
        assertTrue(Files.isRegularFile(a.resolve("checkpoint/model.safetensors")));
        LlamaModel m = Llama2cReader.read(a.resolve("model.bin"));
        assertEquals(257, m.config().vocabSize());

        // the same run stopped after 7 steps and resumed gives the same model, byte for byte
        Path b = dir.resolve("b");
        assertEquals(0, run(args(corpus, b, "--stop-after", "7")).code());
        Result again = run(args(corpus, b));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("pass --resume"), again.err());
        Path other = dir.resolve("other.txt");
        Files.writeString(other, TEXT.replace("cat", "rat"), StandardCharsets.UTF_8);
        Result wrongCorpus = run(args(other, b, "--resume"));
        assertEquals(2, wrongCorpus.code());
        assertTrue(wrongCorpus.err().contains("is not the corpus this run started with"), wrongCorpus.err());
        Result resumed = run(args(corpus, b, "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        // a resumed run keeps its settings: typed options that disagree are refused by name, a finished run says so
        Result conflicting = run(args(corpus, b, "--resume", "--lr", "0.005", "--accum", "2"));
        assertEquals(2, conflicting.code());
        assertTrue(conflicting.err().contains("--lr gives 0.005, the checkpoint has 0.001") && conflicting.err().contains("--accum gives 2, the checkpoint has 1"),
                conflicting.err());
        Result finished = run(args(corpus, b, "--resume"));
        assertEquals(2, finished.code());
        assertTrue(finished.err().contains("is a finished run (step 20 of 20)"), finished.err());
        assertArrayEquals(Files.readAllBytes(a.resolve("model.bin")), Files.readAllBytes(b.resolve("model.bin")));
        assertArrayEquals(Files.readAllBytes(a.resolve("checkpoint/optimizer.safetensors")), Files.readAllBytes(b.resolve("checkpoint/optimizer.safetensors")));
    }

    @Test
    void bpeRunExportsAGgufWithItsOwnTokenizerAndResumesWithTheSavedVocabulary(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, TEXT, StandardCharsets.UTF_8);
        Path a = dir.resolve("a");
        Result r = run(args(corpus, a, "--tokenizer", "bpe:300"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(a.resolve("tokenizer_config.json")));
        LlamaModel g = dev.actlab.model.load.ModelLoader.loadDecoder(a.resolve("model.gguf"));
        LlamaModel bin = Llama2cReader.read(a.resolve("model.bin"));
        assertEquals(300, g.config().vocabSize());
        var fromJson = dev.actlab.model.tokenizer.HfTokenizerJson.load(a.resolve("tokenizer.json"));
        String text = "The dog sat in the garden.";
        int[] ids = g.tokenizer().encode(text, true);
        assertArrayEquals(fromJson.encode(text, true), ids);
        assertEquals(256, ids[0]);
        assertTrue(ids.length < text.length(), java.util.Arrays.toString(ids));   // merges apply
        assertEquals(text, g.tokenizer().decode(ids));
        // the GGUF holds the same weights as the llama2.c export: same logits
        assertArrayEquals(bin.forward(bin.newCache(), ids, dev.actlab.model.hook.Hooks.none(), false), g.forward(g.newCache(), ids, dev.actlab.model.hook.Hooks.none(), false));

        Path b = dir.resolve("b");
        assertEquals(0, run(args(corpus, b, "--tokenizer", "bpe:300", "--stop-after", "7")).code());
        Result resumed = run(args(corpus, b, "--tokenizer", "bpe:300", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(a.resolve("model.gguf")), Files.readAllBytes(b.resolve("model.gguf")));
        assertEquals(2, run(args(corpus, b, "--tokenizer", "bpe:400", "--resume")).code());
    }

    @Test
    void badOptionsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, TEXT, StandardCharsets.UTF_8);
        String[] huge = args(corpus, dir.resolve("x"));
        huge[java.util.Arrays.asList(huge).indexOf("tiny")] = "huge";
        Result r = run(huge);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--config must be tiny, small, brown or medium"), r.err());
        Files.writeString(corpus, "too short", StandardCharsets.UTF_8);
        r = run(args(corpus, dir.resolve("y")));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("needs at least a context of 32"), r.err());
    }
}
