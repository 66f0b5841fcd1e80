package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Massive activations (Sun et al. 2024, "Massive Activations in Large Language Models"): scalars
 * of a hidden state whose magnitude exceeds an absolute threshold and is also far larger than the
 * median magnitude of their own hidden state (the row at that layer and position). Listens to
 * {@code blocks.L.hook_resid_post}, the hidden state after block L.
 */
public final class MassiveActivations implements Hook {
    public static final String SITE_SUFFIX = "hook_resid_post";

    /** One massive scalar; position counts from the start of the whole input, chunkPosition within its chunk. */
    public record Finding(int layer, int position, int chunkPosition, int tokenId, String token, int channel,
                          float value, float rowMedianAbs) {}

    /** Which tokens carry them: the first token of a chunk, delimiters (punctuation, special tokens), others. */
    public record Summary(long count, int distinctPositions, long onFirstToken, long onDelimiters, long onOtherTokens,
                          Map<Integer, Long> byChannel, Map<Integer, Long> byLayer, Map<String, Long> byToken) {}

    public record Result(Rule rule, Summary summary, List<Finding> findings, boolean truncated) {}

    private final float absThreshold, ratio;
    private final int maxFindings;
    private final TokenText text;
    private final List<Finding> findings = new ArrayList<>();
    private long count;
    private int[] chunkTokens = new int[0];
    private int chunkStart;
    // summary counters over all findings, kept even when the list is truncated
    private long first, delimiters, other;
    private final Map<Integer, Long> byChannel = new TreeMap<>(), byLayer = new TreeMap<>();
    private final Map<String, Long> byToken = new LinkedHashMap<>();
    private final java.util.Set<Integer> positions = new java.util.HashSet<>();

    public MassiveActivations(float absThreshold, float ratio, int maxFindings, TokenText text) {
        this.absThreshold = absThreshold; this.ratio = ratio; this.maxFindings = maxFindings; this.text = text;
    }

    /** Tells the detector which tokens the next forward call runs and where they start in the whole input. */
    public void beginChunk(int[] tokens, int start) { this.chunkTokens = tokens; this.chunkStart = start; }

    public static boolean listensTo(String site) { return site.endsWith("." + SITE_SUFFIX) && HookSite.layerOf(site) >= 0; }

    @Override public void apply(Activation a) {
        if (!listensTo(a.name)) return;
        int layer = HookSite.layerOf(a.name);
        int d = a.shape[a.shape.length - 1], n = a.size() / d;
        float[] abs = new float[d];
        for (int r = 0; r < n; r++) {
            int base = a.offset + r * d;
            float rowMax = 0;
            for (int i = 0; i < d; i++) { abs[i] = Math.abs(a.data[base + i]); rowMax = Math.max(rowMax, abs[i]); }
            if (!(rowMax > absThreshold)) continue;   // most rows: nothing to find, no median needed
            float median = median(abs.clone());
            for (int i = 0; i < d; i++) {
                if (abs[i] > absThreshold && abs[i] > ratio * median) record(layer, a.startPos + r, i, a.data[base + i], median);
            }
        }
    }

    private void record(int layer, int chunkPos, int channel, float value, float median) {
        int tokenId = chunkPos < chunkTokens.length ? chunkTokens[chunkPos] : -1;
        count++;
        if (chunkPos == 0) first++;
        else if (text.isDelimiter(tokenId)) delimiters++;
        else other++;
        byChannel.merge(channel, 1L, Long::sum);
        byLayer.merge(layer, 1L, Long::sum);
        byToken.merge(chunkPos == 0 ? text.label(tokenId) + " (first)" : text.label(tokenId), 1L, Long::sum);
        positions.add(chunkStart + chunkPos);
        if (findings.size() < maxFindings)
            findings.add(new Finding(layer, chunkStart + chunkPos, chunkPos, tokenId, text.piece(tokenId), channel, value, median));
    }

    /** Median of the values (sorts them); the mean of the two middle values for an even count. */
    public static float median(float[] v) {
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    public Result result() {
        Rule rule = new Rule("massive_activations",
                "a scalar x of the hidden state after block L (blocks.L." + SITE_SUFFIX + ") at one position, with |x| > "
                        + absThreshold + " and |x| > " + ratio + " x the median |x| of that hidden state (Sun et al. 2024)",
                Map.of("abs_threshold", absThreshold, "median_ratio", ratio, "sites", "blocks.*." + SITE_SUFFIX,
                        "max_findings_listed", maxFindings));
        Map<String, Long> topTokens = new LinkedHashMap<>();
        byToken.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(20)
                .forEach(e -> topTokens.put(e.getKey(), e.getValue()));
        Summary s = new Summary(count, positions.size(), first, delimiters, other, byChannel, byLayer, topTokens);
        return new Result(rule, s, List.copyOf(findings), count > findings.size());
    }
}
