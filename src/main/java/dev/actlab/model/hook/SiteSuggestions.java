package dev.actlab.model.hook;

import dev.actlab.io.EditDistance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What to say when a site name or glob matches none of a model's sites: the nearest site names
 * (by edit distance, with the glob's {@code *} read as any layer) and how many blocks the model has.
 */
public final class SiteSuggestions {
    private SiteSuggestions() {}

    /** Up to k site names of the table closest to the pattern, nearest first (ties in forward order). */
    public static List<String> nearest(SiteTable table, String pattern, int k) {
        String p = pattern.trim();
        record Scored(String name, int distance, int order) {}
        List<Scored> scored = new ArrayList<>();
        List<String> names = table.names();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            // a glob over layers ("blocks.*.hook_resid_pots") is compared with the name's layer put in place of *
            String q = p.contains("*") && HookSite.layerOf(n) >= 0 ? p.replace("*", String.valueOf(HookSite.layerOf(n))) : p;
            scored.add(new Scored(n, EditDistance.of(q, n), i));
        }
        scored.sort(Comparator.comparingInt(Scored::distance).thenComparingInt(Scored::order));
        // a glob names a family: suggest each suffix once rather than the same site in every block
        List<String> out = new ArrayList<>();
        List<String> suffixes = new ArrayList<>();
        for (Scored s : scored) {
            String suffix = HookSite.suffixOf(s.name());
            if (p.contains("*") && suffixes.contains(suffix)) continue;
            suffixes.add(suffix);
            out.add(p.contains("*") && HookSite.layerOf(s.name()) >= 0 ? "blocks.*." + suffix : s.name());
            if (out.size() == k) break;
        }
        return out;
    }

    /** "FLAG PATTERN matches no site of MODEL (N blocks, layers 0..N-1); nearest: a, b, c; `actlab sites` lists them all". */
    public static String noMatch(String flag, String pattern, String model, SiteTable table) {
        String blocks = table.layers() == 0 ? "no blocks" : table.layers() + " blocks, layers 0.." + (table.layers() - 1);
        return (flag == null || flag.isEmpty() ? "" : flag + " ") + pattern.trim() + " matches no site of " + model + " (" + blocks
                + "); nearest: " + String.join(", ", nearest(table, pattern, 3)) + "; `actlab sites` lists them all";
    }

    /** Throws IllegalArgumentException with {@link #noMatch} when the glob matches none of the table's sites. */
    public static void requireMatch(String flag, String pattern, String model, SiteTable table) {
        var m = Hooks.glob(pattern.trim());
        for (String n : table.names()) if (m.test(n)) return;
        throw new IllegalArgumentException(noMatch(flag, pattern, model, table));
    }
}
