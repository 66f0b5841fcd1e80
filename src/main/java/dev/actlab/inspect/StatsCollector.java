package dev.actlab.inspect;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A hook that feeds every activation it sees into that site's {@link SiteStats}, in site order. */
public final class StatsCollector implements Hook {
    private final float eps;
    private final double compression;
    private final Map<String, SiteStats> sites = new LinkedHashMap<>();

    public StatsCollector(float eps, double compression) { this.eps = eps; this.compression = compression; }

    @Override public void apply(Activation a) {
        int[] rowShape = java.util.Arrays.copyOfRange(a.shape, 1, a.shape.length);
        if (rowShape.length == 0) rowShape = new int[]{1};
        final int[] rs = rowShape;
        sites.computeIfAbsent(a.name, n -> new SiteStats(n, rs, eps, compression)).add(a);
    }

    public SiteStats site(String name) { return sites.get(name); }

    public List<SiteStats> sites() { return new ArrayList<>(sites.values()); }
}
