package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Byte-level BPE against a real reference: jtokkit (a tiktoken implementation) with GPT-2's
 * vocabulary (r50k_base) and cl100k_base (the Llama 3 splitting rules). Our tokenizer is built
 * from a vocabulary plus ranked merges, as in GGUF and tokenizer.json; the merges are derived from
 * tiktoken's ranks the way Hugging Face's converter does it (each token's two parts are what BPE
 * with lower-ranked tokens makes of its bytes), so agreement checks merges, pre-tokenizer and bytes.
 */
class ByteLevelBpeJtokkitTest {

    /** tiktoken ranks: token bytes -> rank, read from the jtokkit jar. */
    static List<byte[]> ranks(String resource) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (var in = ByteLevelBpeJtokkitTest.class.getClassLoader().getResourceAsStream("com/knuddels/jtokkit/" + resource);
             var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = reader.readLine()) != null) {
                String[] parts = line.split(" ");
                int rank = Integer.parseInt(parts[1]);
                assertEquals(out.size(), rank, "ranks are dense");
                out.add(Base64.getDecoder().decode(parts[0]));
            }
        }
        return out;
    }

    /** A tiktoken rank table as a byte-level vocabulary (id = rank) and ranked merges. */
    record VocabAndMerges(List<String> pieces, List<String> merges) {}

    private static final Map<String, VocabAndMerges> CACHE = new HashMap<>();

    static synchronized VocabAndMerges vocabAndMerges(String resource) throws Exception {
        VocabAndMerges cached = CACHE.get(resource);
        if (cached != null) return cached;
        List<byte[]> ranks = ranks(resource);
        Map<String, Integer> rankOf = new HashMap<>();
        List<String> pieces = new ArrayList<>();
        for (byte[] b : ranks) { String s = ByteLevelAlphabet.encode(b); rankOf.put(s, pieces.size()); pieces.add(s); }
        List<String> merges = new ArrayList<>();
        for (int r = 0; r < pieces.size(); r++) {
            String token = pieces.get(r);
            if (token.length() < 2) continue;
            // BPE on the token's own bytes using only lower ranks: what is left are the two parts it merges from
            List<String> parts = new ArrayList<>();
            for (char c : token.toCharArray()) parts.add(String.valueOf(c));
            while (true) {
                int best = -1, bestRank = r;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer x = rankOf.get(parts.get(i) + parts.get(i + 1));
                    if (x != null && x < bestRank) { bestRank = x; best = i; }
                }
                if (best < 0) break;
                parts.set(best, parts.get(best) + parts.remove(best + 1));
            }
            assertEquals(2, parts.size(), "token " + r + " splits into two lower-ranked parts");
            merges.add(parts.get(0) + " " + parts.get(1));
        }
        VocabAndMerges v = new VocabAndMerges(List.copyOf(pieces), List.copyOf(merges));
        CACHE.put(resource, v);
        return v;
    }

    /** Builds the vocabulary-plus-merges tokenizer equivalent to a tiktoken rank table. */
    static ByteLevelBpeTokenizer fromRanks(String resource, PreTokenizer pre, Map<String, Integer> special) throws Exception {
        VocabAndMerges v = vocabAndMerges(resource);
        List<String> all = new ArrayList<>(v.pieces());
        for (var e : special.entrySet()) {
            while (all.size() <= e.getValue()) all.add("");
            all.set(e.getValue(), e.getKey());
        }
        return new ByteLevelBpeTokenizer(all, v.merges(), pre, special, Set.copyOf(special.values()), -1, -1);
    }

    /** Asserts ids equal jtokkit's on the whole corpus and decode restores the text; returns the token count. */
    static int assertSameAsReference(EncodingType type, Tokenizer ours) {
        Encoding reference = Encodings.newDefaultEncodingRegistry().getEncoding(type);
        int tokens = 0;
        for (String text : TokenizerCorpus.all()) {
            int[] expected = reference.encodeOrdinary(text).toArray();
            int[] got = ours.encode(text, false);
            assertArrayEquals(expected, got, () -> type + " on '" + text + "': expected " + Arrays.toString(expected) + " got " + Arrays.toString(got));
            assertEquals(text, ours.decode(got), "decode round trip");
            tokens += got.length;
        }
        return tokens;
    }

    static void compare(EncodingType type, String resource, PreTokenizer pre) throws Exception {
        int tokens = assertSameAsReference(type, fromRanks(resource, pre, Map.of()));
        System.out.printf("%s: %d texts, %d tokens identical to jtokkit%n", type, TokenizerCorpus.all().size(), tokens);
    }

    @Test
    void gpt2VocabularyMatchesTiktokenR50k() throws Exception {
        compare(EncodingType.R50K_BASE, "r50k_base.tiktoken", PreTokenizer.GPT2);
    }

    @Test
    void llama3SplittingMatchesTiktokenCl100k() throws Exception {
        compare(EncodingType.CL100K_BASE, "cl100k_base.tiktoken", PreTokenizer.LLAMA3);
    }

    /** Prints encode throughput next to jtokkit's on the corpus repeated to ~1 MB (a figure, not a pass criterion). */
    @Test
    void throughputOnALongText() throws Exception {
        String text = String.join(" ", java.util.Collections.nCopies(60, String.join("\n", TokenizerCorpus.all())));
        ByteLevelBpeTokenizer ours = fromRanks("cl100k_base.tiktoken", PreTokenizer.LLAMA3, Map.of());
        Encoding reference = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        int[] a = null, b = null;
        long t0 = 0, t1 = 0, t2 = 0;
        for (int rep = 0; rep < 2; rep++) {   // second round is warm
            t0 = System.nanoTime(); a = ours.encode(text, false);
            t1 = System.nanoTime(); b = reference.encodeOrdinary(text).toArray();
            t2 = System.nanoTime();
        }
        assertArrayEquals(b, a);
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        System.out.printf("cl100k encode of %.1f MB (%d tokens): actlab %.1f MB/s, jtokkit %.1f MB/s%n",
                mb, a.length, mb / ((t1 - t0) / 1e9), mb / ((t2 - t1) / 1e9));
    }

    @Test
    void specialTokensAreMatchedBeforeBpeAndDroppedOnDecode() throws Exception {
        Encoding reference = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        ByteLevelBpeTokenizer ours = fromRanks("cl100k_base.tiktoken", PreTokenizer.LLAMA3,
                Map.of("<|endoftext|>", 100257, "<|fim_prefix|>", 100258));
        int[] got = ours.encode("Hi<|endoftext|> there<|fim_prefix|><|endoftext|>", false);
        List<Integer> expected = new ArrayList<>(reference.encodeOrdinary("Hi").boxed());
        expected.add(100257);
        expected.addAll(reference.encodeOrdinary(" there").boxed());
        expected.add(100258);
        expected.add(100257);
        assertEquals(expected, Arrays.stream(got).boxed().toList());
        assertEquals("Hi there", ours.decode(got));
        // a partial special token is ordinary text
        assertArrayEquals(reference.encodeOrdinary("<|endoftext|").toArray(), ours.encode("<|endoftext|", false));
    }
}
