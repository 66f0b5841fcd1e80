package dev.actlab.model.hook;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The hook sites one model exposes, numbered so the forward pass can look a site up by
 * (site, layer) without building strings.
 */
public final class SiteTable {
    private static final HookSite[] ALL = HookSite.values();
    private final int layers;
    private final boolean[] present;   // per HookSite ordinal
    private final List<String> names = new ArrayList<>();
    private final int[] ids;           // [ordinal * (layers) + layer] -> id, or -1

    public SiteTable(int layers, Set<HookSite> sites) {
        this.layers = layers;
        this.present = new boolean[ALL.length];
        this.ids = new int[ALL.length * Math.max(1, layers)];
        java.util.Arrays.fill(ids, -1);
        for (HookSite s : ALL) if (sites.contains(s) && !s.perBlock) register(s, 0);
        for (int l = 0; l < layers; l++)
            for (HookSite s : ALL) if (sites.contains(s) && s.perBlock) register(s, l);
    }

    private void register(HookSite s, int layer) {
        present[s.ordinal()] = true;
        ids[s.ordinal() * Math.max(1, layers) + layer] = names.size();
        names.add(s.nameAt(layer));
    }

    public int size() { return names.size(); }
    public String name(int id) { return names.get(id); }
    public List<String> names() { return Collections.unmodifiableList(names); }
    public int layers() { return layers; }

    /** Id of a site at a layer (layer ignored for global sites), or -1 if this model lacks it. */
    public int id(HookSite site, int layer) {
        if (!present[site.ordinal()]) return -1;
        return ids[site.ordinal() * Math.max(1, layers) + (site.perBlock ? layer : 0)];
    }
}
