package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.tokenizer.ByteLevelAlphabet;
import dev.actlab.model.tokenizer.GgufTokenizers;
import dev.actlab.model.tokenizer.HfTokenizerJson;
import dev.actlab.model.tokenizer.PreTokenizer;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|bos|>", "<|eos|>");

    /** Real text available everywhere: this project's own sources (train on main, hold out test). */
    private static String sources(String dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(Path.of(dir))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) sb.append(Files.readString(p));
        }
        return sb.toString();
    }

    @Test
    void incrementalCountsLearnTheSameMergesAsAFullRescanEveryMerge() throws IOException {
        String text = sources("src/main/java/dev/actlab/train");
        BpeVocabulary v = BpeTrainer.train(text, PreTokenizer.GPT2, 256 + 2 + 150, SPECIALS);
        assertEquals(naiveMerges(text, PreTokenizer.GPT2, 150), v.merges());
    }

    @Test
    void tokenizerJsonAndGgufMetadataReproduceTheTrainersSegmentation(@TempDir Path dir) throws IOException {
        String train = sources("src/main/java");
        // special token texts in the held-out text would become control tokens, which decode to nothing
        String heldOut = sources("src/test/java").replace("<|", "<") + "Ünïcödé — “quotes” 日本語 🙂\n";
        BpeVocabulary v = BpeTrainer.train(train, PreTokenizer.LLAMA3, 1024, SPECIALS);
        assertEquals(1024, v.size());
        v.writeTokenizerJson(dir);
        Tokenizer fromJson = HfTokenizerJson.load(dir.resolve("tokenizer.json"));
        Tokenizer fromGguf = GgufTokenizers.fromMetadata(v.ggufMetadata(), dir.resolve("x.gguf"));
        for (Tokenizer t : List.of(fromJson, fromGguf, v.tokenizer())) {
            assertEquals(1024, t.vocabSize());
            assertEquals(256, t.bosId());
            assertEquals(257, t.eosId());
            for (Map.Entry<String, int[]> e : v.segmentation().entrySet())
                assertArrayEquals(e.getValue(), t.encode(e.getKey(), false), e.getKey());
            assertEquals(heldOut, t.decode(t.encode(heldOut, true)));
            int[] ids = t.encode("<|bos|>The jury", false);
            assertEquals(256, ids[0]);
            assertEquals("The jury", t.decode(ids));
        }
        assertArrayEquals(fromJson.encode(heldOut, true), fromGguf.encode(heldOut, true));
        // merges compress: real text needs far fewer tokens than bytes
        assertTrue(fromJson.encode(heldOut, false).length < heldOut.getBytes(StandardCharsets.UTF_8).length / 2);
    }

    @Test
    void brownTrainsInSecondsWhenCached() throws IOException {
        Path brown = Path.of(System.getProperty("user.home"), ".cache", "actlab", "brown.txt");
        assumeTrue(Files.isRegularFile(brown), "skipped: " + brown + " is not cached (actlab train --corpus brown fetches it)");
        String text = Files.readString(brown);
        int cut = text.lastIndexOf('\n', text.length() * 19 / 20) + 1;
        long t0 = System.nanoTime();
        BpeVocabulary v = BpeTrainer.train(text.substring(0, cut), PreTokenizer.GPT2, 4096, SPECIALS);
        double secs = (System.nanoTime() - t0) / 1e9;
        assertTrue(secs < 60, "training took " + secs + " s");
        Tokenizer t = v.tokenizer();
        String heldOut = text.substring(cut);
        int[] ids = t.encode(heldOut, false);
        assertEquals(heldOut, t.decode(ids));
        System.out.printf("Brown BPE 4096: %.1f s, held-out %.2f bytes/token%n", secs, heldOut.getBytes(StandardCharsets.UTF_8).length / (double) ids.length);
    }

    /** Reference: recount every pair of every word before each merge. */
    private static List<String> naiveMerges(String text, PreTokenizer pre, int count) {
        Map<String, Long> freq = new TreeMap<>();
        for (String p : pre.split(text)) freq.merge(p, 1L, Long::sum);
        List<List<Integer>> words = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        List<String> pieces = new ArrayList<>();
        for (int b = 0; b < 256; b++) pieces.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        pieces.addAll(SPECIALS);
        for (Map.Entry<String, Long> e : freq.entrySet()) {
            List<Integer> ids = new ArrayList<>();
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) ids.add(b & 0xff);
            words.add(ids);
            counts.add(e.getValue());
        }
        List<String> merges = new ArrayList<>();
        while (merges.size() < count) {
            Map<List<Integer>, Long> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++)
                for (int i = 0; i + 1 < words.get(w).size(); i++)
                    pairs.merge(List.of(words.get(w).get(i), words.get(w).get(i + 1)), counts.get(w), Long::sum);
            List<Integer> best = null;
            long bestN = 0;
            for (Map.Entry<List<Integer>, Long> e : pairs.entrySet()) {
                List<Integer> p = e.getKey();
                long n = e.getValue();
                if (n > bestN || n == bestN && (p.get(0) < best.get(0) || p.get(0).equals(best.get(0)) && p.get(1) < best.get(1))) { best = p; bestN = n; }
            }
            if (best == null || bestN < 2) break;
            String merged = pieces.get(best.get(0)) + pieces.get(best.get(1));
            merges.add(pieces.get(best.get(0)) + " " + pieces.get(best.get(1)));
            int id = pieces.indexOf(merged);
            if (id < 0) { pieces.add(merged); id = pieces.size() - 1; }
            for (List<Integer> w : words)
                for (int i = 0; i + 1 < w.size(); i++)
                    if (w.get(i).equals(best.get(0)) && w.get(i + 1).equals(best.get(1))) { w.set(i, id); w.remove(i + 1); }
        }
        return merges;
    }
}
