package dev.actlab.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The BPE merge loop shared by both tokenizers: start from single symbols, repeatedly merge the
 * adjacent pair with the lowest rank (leftmost on ties) until no pair has a rank. Symbols live in
 * a linked list and candidate pairs in a priority queue, so a text of n symbols costs
 * O(n log n) instead of the O(n^2) of rescanning all pairs after every merge.
 */
final class BpeMerge {
    /** Rank of merging left and right (lower merges first), or NaN when they do not merge. */
    interface PairRank { double rank(String left, String right); }

    private record Candidate(double rank, int left, int right, int length) {}

    private BpeMerge() {}

    /**
     * @param byCodePoint true: initial symbols are Unicode characters (surrogate pairs stay whole);
     *                    false: every char is a symbol
     */
    static List<String> apply(String text, boolean byCodePoint, PairRank ranks) {
        int n = byCodePoint ? text.codePointCount(0, text.length()) : text.length();
        int[] start = new int[n], end = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            at = byCodePoint ? text.offsetByCodePoints(at, 1) : at + 1;
            end[i] = at;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.rank != b.rank ? Double.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, text, start, end, i, i + 1, ranks);
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            // stale when either side has merged since: the pair is no longer adjacent or has grown
            if (end[c.left] < 0 || end[c.right] < 0 || next[c.left] != c.right || end[c.right] - start[c.left] != c.length) continue;
            end[c.left] = end[c.right];
            end[c.right] = -1;
            next[c.left] = next[c.right];
            if (next[c.left] >= 0) prev[next[c.left]] = c.left;
            if (prev[c.left] >= 0) offer(queue, text, start, end, prev[c.left], c.left, ranks);
            if (next[c.left] >= 0) offer(queue, text, start, end, c.left, next[c.left], ranks);
        }
        List<String> out = new ArrayList<>();
        for (int i = n == 0 ? -1 : 0; i >= 0; i = next[i]) out.add(text.substring(start[i], end[i]));
        return out;
    }

    private static void offer(PriorityQueue<Candidate> q, String text, int[] start, int[] end, int left, int right, PairRank ranks) {
        double r = ranks.rank(text.substring(start[left], end[left]), text.substring(start[right], end[right]));
        if (!Double.isNaN(r)) q.add(new Candidate(r, left, right, end[right] - start[left]));
    }
}
