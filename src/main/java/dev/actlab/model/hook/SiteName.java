package dev.actlab.model.hook;

/** Reads the parts of a TransformerLens site name ({@code blocks.L.suffix}). */
public final class SiteName {
    private SiteName() {}

    /** The layer L of {@code blocks.L.suffix}; -1 for a global site such as {@code hook_embed}. */
    public static int layerOf(String site) {
        if (!site.startsWith("blocks.")) return -1;
        int dot = site.indexOf('.', 7);
        if (dot < 0) return -1;
        try { return Integer.parseInt(site.substring(7, dot)); }
        catch (NumberFormatException e) { return -1; }
    }

    /** The part after {@code blocks.L.}, or the whole name for a global site. */
    public static String suffixOf(String site) {
        if (layerOf(site) < 0) return site;
        return site.substring(site.indexOf('.', 7) + 1);
    }
}
