package dev.actlab.train;

import dev.actlab.model.tokenizer.ByteLevelAlphabet;
import dev.actlab.model.tokenizer.PreTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * Learns a byte-level BPE vocabulary from text. The text is split by the pre-tokenizer (merges
 * never cross a pre-token), each distinct pre-token is counted once with its frequency, and the
 * most frequent adjacent pair of tokens is merged into a new token until the vocabulary is full.
 * Ties go to the pair with the smaller (left id, right id), so the result depends on the text only.
 *
 * <p>Ids: 0..255 are the bytes in byte order, then the special tokens, then one id per merge.
 * Pair counts are kept incrementally: a merge revisits only the words that contain its pair,
 * and a heap with lazy deletion finds the next best pair.
 */
public final class BpeTrainer {
    /** A distinct pre-token: its current token ids and how often it occurs. */
    private static final class Word {
        int[] ids;
        final long freq;
        Word(int[] ids, long freq) { this.ids = ids; this.freq = freq; }
    }

    private record Candidate(long count, int left, int right) {}

    private final List<String> pieces = new ArrayList<>();       // id -> byte-level alphabet string
    private final Map<String, Integer> idOf = new HashMap<>();
    private final List<String> merges = new ArrayList<>();
    private final Map<Long, Long> pairCount = new HashMap<>();
    private final Map<Long, Set<Integer>> pairWords = new HashMap<>();   // may list words that no longer hold the pair
    private final PriorityQueue<Candidate> heap = new PriorityQueue<>((x, y) -> x.count != y.count ? Long.compare(y.count, x.count)
            : x.left != y.left ? Integer.compare(x.left, y.left) : Integer.compare(x.right, y.right));
    private Word[] words;
    private String[] wordText;

    private BpeTrainer() {}

    /**
     * @param vocabSize total vocabulary: 256 bytes + special tokens + merges (fewer when the text
     *                  runs out of pairs occurring at least twice)
     * @param specials  special token texts, e.g. "&lt;|bos|&gt;", "&lt;|eos|&gt;" (ids 256, 257, ...)
     */
    public static BpeVocabulary train(String text, PreTokenizer pre, int vocabSize, List<String> specials) {
        if (vocabSize < 256 + specials.size())
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below 256 bytes + " + specials.size() + " special tokens");
        BpeTrainer t = new BpeTrainer();
        t.count(text, pre);
        for (int b = 0; b < 256; b++) t.addPiece(String.valueOf(ByteLevelAlphabet.charOf(b)));
        for (String s : specials) {
            if (t.idOf.containsKey(s)) throw new IllegalArgumentException("special token '" + s + "' is also a byte token");
            t.addPiece(s);
        }
        t.mergeUntil(vocabSize);
        Map<String, int[]> segmentation = new LinkedHashMap<>();
        for (int w = 0; w < t.words.length; w++) segmentation.put(t.wordText[w], t.words[w].ids);
        return new BpeVocabulary(List.copyOf(t.pieces), List.copyOf(t.merges), pre, List.copyOf(specials), segmentation);
    }

    /** Distinct pre-tokens in sorted order, as byte ids, with their frequencies. */
    private void count(String text, PreTokenizer pre) {
        Map<String, long[]> freq = new HashMap<>();
        for (String piece : pre.split(text)) freq.computeIfAbsent(piece, k -> new long[1])[0]++;
        TreeMap<String, long[]> sorted = new TreeMap<>(freq);
        words = new Word[sorted.size()];
        wordText = new String[sorted.size()];
        int w = 0;
        for (Map.Entry<String, long[]> e : sorted.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xff;
            wordText[w] = e.getKey();
            words[w++] = new Word(ids, e.getValue()[0]);
        }
    }

    private int addPiece(String p) {
        pieces.add(p);
        idOf.putIfAbsent(p, pieces.size() - 1);
        return pieces.size() - 1;
    }

    private static long key(int left, int right) { return ((long) left << 32) | (right & 0xffffffffL); }

    private void mergeUntil(int vocabSize) {
        for (int w = 0; w < words.length; w++) addPairs(w, null);
        pairCount.forEach((k, n) -> heap.add(new Candidate(n, (int) (k >>> 32), (int) (long) k)));
        while (pieces.size() < vocabSize && !heap.isEmpty()) {
            Candidate best = heap.poll();
            long k = key(best.left, best.right);
            Long now = pairCount.get(k);
            if (now == null || now != best.count) continue;   // stale: the count has changed since it was queued
            if (best.count < 2) break;                        // a pair seen once generalizes nothing
            String merged = pieces.get(best.left) + pieces.get(best.right);
            merges.add(pieces.get(best.left) + " " + pieces.get(best.right));
            // the same string may already exist by another merge path ("ab"+"c" and "a"+"bc"): reuse its id
            Integer existing = idOf.get(merged);
            int id = existing != null ? existing : addPiece(merged);
            Set<Long> changed = new HashSet<>();
            Set<Integer> holders = pairWords.remove(k);
            for (int w : holders) {
                if (!contains(words[w].ids, best.left, best.right)) continue;
                removePairs(w, changed);
                words[w].ids = replace(words[w].ids, best.left, best.right, id);
                addPairs(w, changed);
            }
            for (long c : changed) {
                long n = pairCount.getOrDefault(c, 0L);
                if (n <= 0) { pairCount.remove(c); continue; }
                heap.add(new Candidate(n, (int) (c >>> 32), (int) c));
            }
        }
    }

    private static boolean contains(int[] ids, int left, int right) {
        for (int i = 0; i + 1 < ids.length; i++) if (ids[i] == left && ids[i + 1] == right) return true;
        return false;
    }

    /** Left-to-right, non-overlapping: "a a a" with (a, a) becomes "aa a", as the tokenizer does. */
    private static int[] replace(int[] ids, int left, int right, int merged) {
        int[] out = new int[ids.length];
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            if (i + 1 < ids.length && ids[i] == left && ids[i + 1] == right) { out[n++] = merged; i++; }
            else out[n++] = ids[i];
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private void addPairs(int w, Set<Long> changed) {
        int[] ids = words[w].ids;
        for (int i = 0; i + 1 < ids.length; i++) {
            long k = key(ids[i], ids[i + 1]);
            pairCount.merge(k, words[w].freq, Long::sum);
            pairWords.computeIfAbsent(k, x -> new HashSet<>()).add(w);
            if (changed != null) changed.add(k);
        }
    }

    private void removePairs(int w, Set<Long> changed) {
        int[] ids = words[w].ids;
        for (int i = 0; i + 1 < ids.length; i++) {
            long k = key(ids[i], ids[i + 1]);
            pairCount.merge(k, -words[w].freq, Long::sum);
            changed.add(k);
        }
    }
}
