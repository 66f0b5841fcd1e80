package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import dev.actlab.model.hook.Activation;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Streaming statistics of one hook site: per channel (the last dimension) and over all of its
 * values. An activation [n, ..., channels] contributes n·... rows of `channels` values.
 */
public final class SiteStats {
    /** Quantiles reported for every site and channel. */
    public static final double[] QUANTILES = {0.001, 0.01, 0.5, 0.99, 0.999};

    private final String name;
    private final int[] rowShape;          // the shape after dimension 0 (e.g. [heads, d_head] or [d_model])
    private final ChannelStats[] channels; // [channels]
    private final ChannelStats all;
    private final double compression;
    private long rows;

    public SiteStats(String name, int[] rowShape, float eps, double compression) {
        this.name = name;
        this.rowShape = rowShape.clone();
        int c = rowShape[rowShape.length - 1];
        this.channels = new ChannelStats[c];
        for (int i = 0; i < c; i++) channels[i] = new ChannelStats(eps, compression);
        this.all = new ChannelStats(eps, 0);   // quantiles merged from the channels' digests when reported
        this.compression = compression;
    }

    /** Adds every value of the activation; its trailing shape must match the first one seen. */
    public void add(Activation a) {
        int[] trailing = a.shape.length == 1 ? new int[]{1} : Arrays.copyOfRange(a.shape, 1, a.shape.length);  // [n] is n rows of 1
        if (!Arrays.equals(trailing, rowShape))
            throw new IllegalStateException(name + ": shape " + Arrays.toString(a.shape) + " does not continue " + Arrays.toString(rowShape));
        int c = channels.length, n = a.size() / c;
        for (int r = 0; r < n; r++) {
            int base = a.offset + r * c;
            for (int i = 0; i < c; i++) {
                float x = a.data[base + i];
                channels[i].add(x);
                all.add(x);
            }
        }
        rows += a.shape[0];
    }

    public String name() { return name; }
    /** Layer of a block site, -1 for global sites. */
    public int layer() { return HookSite.layerOf(name); }
    public ChannelStats channel(int i) { return channels[i]; }
    /** The stream of all values; its quantiles are merged from the channels' digests on each call. */
    public ChannelStats all() { all.mergeQuantiles(channels, compression); return all; }
    /** Rows along dimension 0 seen so far (positions for [pos, ...] sites). */
    public long rows() { return rows; }

    /** Summary of one stream for the report. */
    public record Summary(long count, double mean, double std, double min, double max, double maxAbs, double kurtosis,
                          double zeroFraction, double nearZeroFraction, Map<String, Double> quantiles) {
        static Summary of(ChannelStats s) {
            Map<String, Double> q = new LinkedHashMap<>();
            for (double p : QUANTILES) q.put(quantileKey(p), s.quantile(p));
            return new Summary(s.count(), s.mean(), s.std(), s.min(), s.max(), s.maxAbs(), s.kurtosis(),
                    s.zeroFraction(), s.nearZeroFraction(), q);
        }
    }

    /** Per-channel columns (index = channel), compact for large models. */
    public record ChannelTable(float[] mean, float[] std, float[] min, float[] max, float[] maxAbs, float[] kurtosis,
                               float[] zeroFraction, float[] nearZeroFraction, Map<String, float[]> quantiles) {}

    /** Everything the report keeps about a site. */
    public record Report(String site, int layer, int[] rowShape, long rows, Summary all, ChannelTable channels) {}

    public Report report(boolean withChannels) {
        // channel quantiles first: merging the site's digest compresses the channels' digests further
        ChannelTable table = withChannels ? channelTable() : null;
        return new Report(name, layer(), rowShape.clone(), rows, Summary.of(all()), table);
    }

    private ChannelTable channelTable() {
        int c = channels.length;
        float[] mean = new float[c], std = new float[c], min = new float[c], max = new float[c], maxAbs = new float[c],
                kurt = new float[c], zf = new float[c], nzf = new float[c];
        Map<String, float[]> q = new LinkedHashMap<>();
        for (double p : QUANTILES) q.put(quantileKey(p), new float[c]);
        for (int i = 0; i < c; i++) {
            ChannelStats s = channels[i];
            mean[i] = (float) s.mean(); std[i] = (float) s.std(); min[i] = s.min(); max[i] = s.max(); maxAbs[i] = s.maxAbs();
            kurt[i] = (float) s.kurtosis(); zf[i] = (float) s.zeroFraction(); nzf[i] = (float) s.nearZeroFraction();
            for (double p : QUANTILES) q.get(quantileKey(p))[i] = (float) s.quantile(p);
        }
        return new ChannelTable(mean, std, min, max, maxAbs, kurt, zf, nzf, q);
    }

    static String quantileKey(double p) {
        String s = Double.toString(p * 100);
        if (s.endsWith(".0")) s = s.substring(0, s.length() - 2);
        return "p" + s;
    }
}
