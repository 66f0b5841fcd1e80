package dev.actlab.steer;

import dev.actlab.model.hook.HookSite;

import dev.actlab.capture.ActivationStore;
import dev.actlab.capture.CaptureManifest;
import dev.actlab.io.FormatException;
import dev.actlab.io.Progress;
import dev.actlab.io.Utf8Lines;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.SiteSuggestions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Labelled activations for probes: acts[site][row][width] with labels[row] indexing classes.
 * Rows come from texts (one activation per text: its last token or the mean over its tokens) or
 * from a capture store (one row per token, one label per row).
 */
public record ProbeData(List<String> sites, List<Integer> layers, float[][][] acts, int[] labels, int[] groups, List<String> classes, String source) {

    /**
     * Labelled texts: TSV {@code label<TAB>text}, one per line; blank lines and lines starting with "# " skipped.
     * groups[i] is the group of text i (the two texts of a contrastive pair share one), or groups is null.
     */
    public record Texts(List<String> texts, List<String> labels, int[] groups, String source) {}

    public static Texts readTexts(Path file) throws IOException {
        List<String> texts = new ArrayList<>(), labels = new ArrayList<>();
        List<String> lines = Utf8Lines.read(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("# ")) continue;
            int tab = line.indexOf('\t');
            if (tab <= 0 || tab == line.length() - 1)
                throw new FormatException(file, "line " + (i + 1), 0, "expected label<TAB>text");
            labels.add(line.substring(0, tab).trim());
            texts.add(line.substring(tab + 1));
        }
        if (texts.isEmpty()) throw new FormatException(file, "lines", 0, "no labelled texts");
        return new Texts(texts, labels, null, file.toString());
    }

    /** Contrastive pairs as labelled texts, "positive" and "negative", each pair one group. */
    public static Texts fromPairs(ContrastivePairs p) {
        List<String> texts = new ArrayList<>(p.positives()), labels = new ArrayList<>();
        int n = p.positives().size();
        for (int i = 0; i < n; i++) labels.add("positive");
        texts.addAll(p.negatives());
        for (int i = 0; i < p.negatives().size(); i++) labels.add("negative");
        int[] groups = null;
        if (p.paired()) {
            groups = new int[2 * n];
            for (int i = 0; i < n; i++) { groups[i] = i; groups[n + i] = i; }
        }
        return new Texts(texts, labels, groups, p.source());
    }

    /** Runs the model on each text and keeps its activation at each site matching the glob. */
    public static ProbeData fromTexts(HookedModel model, Texts t, String siteGlob, VectorExtraction.Position position, Progress progress) {
        if (model.tokenizer() == null) throw new IllegalArgumentException(model.source() + " has no tokenizer: texts cannot be encoded");
        Predicate<String> m = Hooks.glob(siteGlob.trim());
        List<String> sites = model.sites().names().stream().filter(m).toList();
        if (sites.isEmpty()) throw new IllegalArgumentException(SiteSuggestions.noMatch("--site", siteGlob, model.source(), model.sites()));
        float[][][] acts = VectorExtraction.activations(model, t.texts(), sites, position, progress, 0, t.texts().size());
        List<String> classes = new ArrayList<>(new TreeSet<>(t.labels()));
        return new ProbeData(sites, layers(sites), acts, index(t.labels(), classes), t.groups(), classes, t.source());
    }

    /**
     * A capture store's rows at the sites matching the glob, with one label per row from a file of
     * one label per line; a label "_" (or an empty line) leaves its row out.
     */
    public static ProbeData fromStore(Path storeDir, Path labelsFile, String siteGlob) throws IOException {
        ActivationStore store = ActivationStore.open(storeDir);
        List<String> lines = Utf8Lines.read(labelsFile);
        if (lines.size() != store.rows())
            throw new FormatException(labelsFile, "lines", 0, "has " + lines.size() + " labels; the store " + storeDir + " has " + store.rows() + " rows (one label per captured token)");
        Predicate<String> m = Hooks.glob(siteGlob.trim());
        List<String> sites = new ArrayList<>();
        for (CaptureManifest.Site s : store.manifest().sites) if (m.test(s.name())) sites.add(s.name());
        if (sites.isEmpty()) throw new IllegalArgumentException("--site " + siteGlob + " matches no site captured in " + storeDir);
        List<Integer> keep = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).trim();
            if (l.isEmpty() || l.equals("_")) continue;
            keep.add(i);
            labels.add(l);
        }
        if (keep.isEmpty()) throw new FormatException(labelsFile, "lines", 0, "every row is left out (\"_\")");
        float[][][] acts = new float[sites.size()][keep.size()][];
        for (int s = 0; s < sites.size(); s++) {
            String site = sites.get(s);
            int width = store.manifest().sites.stream().filter(x -> x.name().equals(site)).findFirst().orElseThrow().width();
            for (int i = 0; i < keep.size(); i++) {
                float[] row = new float[width];
                store.row(site, keep.get(i), row, 0);
                acts[s][i] = row;
            }
        }
        List<String> classes = new ArrayList<>(new TreeSet<>(labels));
        return new ProbeData(sites, layers(sites), acts, index(labels, classes), null, classes, storeDir.toString());
    }

    /**
     * One row per token of a token stream: the model runs it in windows of ctx tokens (each from
     * position 0, as capture does) and keeps every token's activation at the sites the filter
     * accepts; labels[i] is token i's label, "_" to leave it out.
     */
    public static ProbeData fromTokens(HookedModel model, int[] ids, List<String> labels, Predicate<String> siteFilter, int ctx, String source) {
        if (labels.size() != ids.length) throw new IllegalArgumentException(labels.size() + " labels for " + ids.length + " tokens");
        List<String> sites = model.sites().names().stream().filter(siteFilter).toList();
        if (sites.isEmpty()) throw new IllegalArgumentException("no site of " + model.source() + " is selected");
        List<Integer> keep = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) if (!labels.get(i).equals("_")) { keep.add(i); kept.add(labels.get(i)); }
        float[][][] all = tokenActivations(model, ids, sites, ctx);
        float[][][] acts = new float[sites.size()][keep.size()][];
        for (int s = 0; s < sites.size(); s++) for (int i = 0; i < keep.size(); i++) acts[s][i] = all[s][keep.get(i)];
        List<String> classes = new ArrayList<>(new TreeSet<>(kept));
        return new ProbeData(sites, layers(sites), acts, index(kept, classes), null, classes, source);
    }

    /** acts[site][token][width]: every token's activation, the stream run in windows of ctx tokens each from position 0. */
    public static float[][][] tokenActivations(HookedModel model, int[] ids, List<String> sites, int ctx) {
        float[][][] acts = new float[sites.size()][ids.length][];
        java.util.Set<String> wanted = java.util.Set.copyOf(sites);
        for (int start = 0; start < ids.length; start += ctx) {
            int end = Math.min(ids.length, start + ctx);
            dev.actlab.model.hook.ActivationCache cache = model.runWithCache(java.util.Arrays.copyOfRange(ids, start, end), wanted::contains);
            for (int s = 0; s < sites.size(); s++) {
                dev.actlab.model.hook.Activation a = cache.get(sites.get(s));
                int d = a.size() / a.shape[0];
                for (int t = start; t < end; t++)
                    acts[s][t] = java.util.Arrays.copyOfRange(a.data, a.offset + (t - start) * d, a.offset + (t - start + 1) * d);
            }
        }
        return acts;
    }

    private static List<Integer> layers(List<String> sites) { return sites.stream().map(HookSite::layerOf).toList(); }

    private static int[] index(List<String> labels, List<String> classes) {
        if (classes.size() < 2) throw new IllegalArgumentException("the labels have " + classes.size() + " class (" + classes + "); a probe needs two or more");
        int[] y = new int[labels.size()];
        for (int i = 0; i < y.length; i++) y[i] = classes.indexOf(labels.get(i));
        return y;
    }
}
