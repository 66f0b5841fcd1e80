package dev.actlab.steer;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.SiteSuggestions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Steering vectors from contrastive texts, one per layer, at {@code blocks.N.hook_resid_post} (where a
 * llama.cpp control vector is added). Each text runs from position 0 (with BOS); its activation is
 * that of its last token ({@link Position#LAST}) or the mean over its tokens ({@link Position#MEAN}).
 *
 * <ul>
 * <li>{@link Method#CAA} (contrastive activation addition, Rimsky et al. 2024): the mean over pairs of
 *     positive minus negative. Raw: its length is the mean difference's.</li>
 * <li>{@link Method#PCA} (representation engineering, Zou et al. 2023; repeng): the first principal
 *     component u of the paired differences, uncentered (the same as RepE's PCA of differences whose pair
 *     order is randomly flipped), scaled to the mean difference's projection on it: v = u (u . mean diff),
 *     so positives project higher and strength 1 moves as far along u as the average pair differs.</li>
 * <li>{@link Method#MEAN}: mean of the positives minus mean of the negatives, which need not be paired
 *     (one class against a neutral set).</li>
 * </ul>
 * With {@code normalize} every layer's vector is scaled to unit length instead.
 */
public final class VectorExtraction {
    public enum Method { CAA, PCA, MEAN }
    public enum Position { LAST, MEAN }

    /**
     * @param separation paired: the fraction of pairs whose positive projects higher on the vector
     *                   than its negative; unpaired: the AUROC of positive against negative projections
     * @param explained  PCA only: the share of the differences' squared length along the component
     */
    public record Layer(int layer, String site, float[] vector, double norm, double separation, Double explained) {}

    public record Result(Method method, Position position, boolean normalized, int positives, int negatives, boolean paired,
                         List<Layer> layers, List<String> notes) {
        /** As a llama.cpp control vector (direction.N = the layer's vector). */
        public ControlVector controlVector(String modelHint, String source) {
            Map<Integer, float[]> d = new TreeMap<>();
            for (Layer l : layers) d.put(l.layer, l.vector);
            return new ControlVector(modelHint, layers.get(0).vector.length, d, source);
        }
    }

    private VectorExtraction() {}

    /**
     * The model's {@code blocks.N.hook_resid_post} sites that the glob matches, N >= 1. Other sites are
     * refused (a control vector is added at hook_resid_post); layer 0 is left out with a note, since
     * llama.cpp never steers it.
     */
    public static List<String> sites(HookedModel model, String glob, List<String> notes) {
        Predicate<String> m = Hooks.glob(glob.trim());
        List<String> out = new ArrayList<>();
        boolean any = false;
        for (String s : model.sites().names()) {
            if (!m.test(s)) continue;
            any = true;
            if (!HookSite.suffixOf(s).equals(HookSite.RESID_POST.suffix) || HookSite.layerOf(s) < 0)
                throw new IllegalArgumentException("--site " + glob + " matches " + s + ": steering vectors are extracted at blocks.N.hook_resid_post, "
                        + "where llama.cpp adds a control vector's direction.N");
            if (HookSite.layerOf(s) == 0) { notes.add("blocks.0.hook_resid_post left out: llama.cpp never steers layer 0"); continue; }
            out.add(s);
        }
        if (!any) throw new IllegalArgumentException(SiteSuggestions.noMatch("--site", glob, model.source(), model.sites()));
        if (out.isEmpty()) throw new IllegalArgumentException("--site " + glob + " matches only layer 0, which llama.cpp never steers");
        return out;
    }

    public static Result extract(HookedModel model, ContrastivePairs texts, List<String> sites, Method method, Position position,
                                 boolean normalize, List<String> notes, Progress progress) {
        if (model.tokenizer() == null) throw new IllegalArgumentException(model.source() + " has no tokenizer: texts cannot be encoded");
        if (method != Method.MEAN && !texts.paired())
            throw new IllegalArgumentException(method.name().toLowerCase() + " needs paired texts (same number of positives and negatives, line by line); mean does not");
        int n = texts.positives().size() + texts.negatives().size();
        float[][][] pos = activations(model, texts.positives(), sites, position, progress, 0, n);
        float[][][] neg = activations(model, texts.negatives(), sites, position, progress, texts.positives().size(), n);
        List<Layer> layers = new ArrayList<>();
        for (int s = 0; s < sites.size(); s++) {
            float[] v;
            Double explained = null;
            if (method == Method.PCA) {
                PrincipalComponent pc = principal(pos[s], neg[s]);
                v = pcaVector(pc, pos[s], neg[s]);
                explained = pc.explained();
            } else {
                v = method == Method.CAA ? caa(pos[s], neg[s]) : meanDifference(pos[s], neg[s]);
            }
            if (normalize) v = DirectionalAblation.unit(v);
            double norm = Math.sqrt(dot(v, v));
            double sep = texts.paired() ? pairAccuracy(v, pos[s], neg[s]) : auroc(v, pos[s], neg[s]);
            layers.add(new Layer(HookSite.layerOf(sites.get(s)), sites.get(s), v, norm, sep, explained));
        }
        return new Result(method, position, normalize, texts.positives().size(), texts.negatives().size(), texts.paired(), layers, List.copyOf(notes));
    }

    /** acts[site][text][width]: each text's activation (last token or mean over tokens) at each [pos, ...] site. */
    public static float[][][] activations(HookedModel model, List<String> texts, List<String> sites, Position position,
                                          Progress progress, int done, int total) {
        float[][][] out = new float[sites.size()][texts.size()][];
        Set<String> wanted = Set.copyOf(sites);
        for (String s : sites)
            if (s.endsWith("hook_attn_scores") || s.endsWith("hook_pattern"))
                throw new IllegalArgumentException(s + " is [heads, q_pos, k_pos]: choose a site indexed by position first");
        for (int t = 0; t < texts.size(); t++) {
            int[] ids = model.tokenizer().encode(texts.get(t), true);
            ActivationCache cache = model.runWithCache(ids, wanted::contains);
            for (int s = 0; s < sites.size(); s++) {
                Activation a = cache.get(sites.get(s));
                int rows = a.shape[0], d = a.size() / rows;
                float[] row = new float[d];
                if (position == Position.LAST) System.arraycopy(a.data, a.offset + (rows - 1) * d, row, 0, d);
                else {
                    double[] sum = new double[d];
                    for (int r = 0; r < rows; r++) for (int i = 0; i < d; i++) sum[i] += a.data[a.offset + r * d + i];
                    for (int i = 0; i < d; i++) row[i] = (float) (sum[i] / rows);
                }
                out[s][t] = row;
            }
            if (progress != null) progress.update(done + t + 1, total);
        }
        return out;
    }

    // ---- the methods, on activations [n][d] ----

    /** mean_i (pos_i - neg_i), summed in double. */
    public static float[] caa(float[][] pos, float[][] neg) {
        if (pos.length != neg.length) throw new IllegalArgumentException("CAA needs pairs: " + pos.length + " positives, " + neg.length + " negatives");
        int d = pos[0].length;
        double[] sum = new double[d];
        for (int i = 0; i < pos.length; i++) for (int j = 0; j < d; j++) sum[j] += (double) pos[i][j] - neg[i][j];
        return scaled(sum, 1.0 / pos.length);
    }

    /** mean(pos) - mean(neg); the sets may differ in size. */
    public static float[] meanDifference(float[][] pos, float[][] neg) {
        int d = pos[0].length;
        double[] sum = new double[d];
        for (float[] p : pos) for (int j = 0; j < d; j++) sum[j] += p[j] / (double) pos.length;
        for (float[] q : neg) for (int j = 0; j < d; j++) sum[j] -= q[j] / (double) neg.length;
        return scaled(sum, 1);
    }

    /** The uncentered first principal component of the paired differences. */
    static PrincipalComponent principal(float[][] pos, float[][] neg) {
        if (pos.length != neg.length) throw new IllegalArgumentException("PCA needs pairs: " + pos.length + " positives, " + neg.length + " negatives");
        int d = pos[0].length;
        double[][] diff = new double[pos.length][d];
        for (int i = 0; i < pos.length; i++) for (int j = 0; j < d; j++) diff[i][j] = (double) pos[i][j] - neg[i][j];
        return PrincipalComponent.first(diff);
    }

    /** u (u . mean difference): the component, signed so positives project higher, at the mean difference's length along it. */
    static float[] pcaVector(PrincipalComponent pc, float[][] pos, float[][] neg) {
        float[] mean = caa(pos, neg);
        double[] u = pc.direction();
        double along = 0;
        for (int j = 0; j < u.length; j++) along += u[j] * mean[j];
        return scaled(u, along);
    }

    /** The first principal component of the paired differences, signed so positives project higher, at its mean projection. */
    public static float[] pca(float[][] pos, float[][] neg) { return pcaVector(principal(pos, neg), pos, neg); }

    static double pairAccuracy(float[] v, float[][] pos, float[][] neg) {
        int higher = 0;
        for (int i = 0; i < pos.length; i++) if (dot(v, pos[i]) > dot(v, neg[i])) higher++;
        return (double) higher / pos.length;
    }

    /** P(a random positive projects higher than a random negative), ties counting half. */
    static double auroc(float[] v, float[][] pos, float[][] neg) {
        double[] p = new double[pos.length], q = new double[neg.length];
        for (int i = 0; i < p.length; i++) p[i] = dot(v, pos[i]);
        for (int i = 0; i < q.length; i++) q[i] = dot(v, neg[i]);
        return Auroc.of(p, q);
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static float[] scaled(double[] v, double s) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] * s);
        return out;
    }
}
