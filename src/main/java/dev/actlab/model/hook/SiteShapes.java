package dev.actlab.model.hook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every hook site of a model with the shape its activation has for an input of a given length, as
 * TransformerLens' {@code hook_dict} lists them: found by running that many tokens once with a hook on
 * every site that records the shape (and copies nothing), and a second time one token longer so that
 * the dimensions that grow with the input are named {@code pos} (or {@code q_pos}, {@code k_pos}).
 */
public final class SiteShapes {
    /** One site: its name, block (-1 for global sites), shape for the given length, and a name per dimension. */
    public record Site(String name, int block, int[] shape, List<String> dims) {
        /** "[pos, d_model]" */
        public String symbolic() { return "[" + String.join(", ", dims) + "]"; }
    }

    private SiteShapes() {}

    /** The sites of the model in forward order, with shapes for {@code positions} tokens of id {@code token}. */
    public static List<Site> of(HookedModel model, int positions, int token) {
        if (positions < 1) throw new IllegalArgumentException("positions must be >= 1, got " + positions);
        if (positions + 1 > model.contextLength())
            throw new IllegalArgumentException(positions + " positions do not fit the model's context of " + model.contextLength() + " (one more is run to tell positions apart)");
        Map<String, int[]> a = shapes(model, positions, token), b = shapes(model, positions + 1, token);
        List<Site> out = new ArrayList<>();
        for (String name : model.sites().names()) {
            int[] s = a.get(name), t = b.get(name);
            if (s == null) continue;   // a site this architecture lists but this run never reached
            List<String> dims = new ArrayList<>();
            int grown = 0;
            for (int d = 0; d < s.length; d++) if (t != null && t.length == s.length && t[d] != s[d]) grown++;
            int seen = 0;
            for (int d = 0; d < s.length; d++) {
                boolean pos = t != null && t.length == s.length && t[d] != s[d];
                if (pos) dims.add(grown == 2 ? (seen++ == 0 ? "q_pos" : "k_pos") : "pos");
                else dims.add(dimName(name, d, s, model, a));
            }
            out.add(new Site(name, HookSite.layerOf(name), s, List.copyOf(dims)));
        }
        return out;
    }

    private static Map<String, int[]> shapes(HookedModel model, int n, int token) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        int[] ids = new int[n];
        java.util.Arrays.fill(ids, token);
        model.run(ids, new Hooks().add(s -> true, act -> shapes.putIfAbsent(act.name, act.shape.clone())));
        return shapes;
    }

    /** The name of a dimension that does not grow with the input, from the kind of site. */
    private static String dimName(String site, int d, int[] shape, HookedModel model, Map<String, int[]> all) {
        String suffix = HookSite.suffixOf(site);
        int size = shape[d];
        // a decoder's run() normalizes only the last position for its logits
        if (suffix.startsWith("ln_final.") && d == 0 && size == 1) return "last_pos";
        if (size == model.dModel() && d == shape.length - 1 && !suffix.startsWith("attn.")) return "d_model";
        if (suffix.endsWith("hook_scale") && size == 1) return "1";
        if (suffix.startsWith("mlp.")) return "d_mlp";
        if (suffix.equals("attn.hook_attn_scores") || suffix.equals("attn.hook_pattern")) return d == 0 ? "heads" : String.valueOf(size);
        if (suffix.startsWith("attn.") && shape.length == 3) {
            boolean kv = suffix.equals("attn.hook_k") || suffix.equals("attn.hook_v") || suffix.equals("attn.hook_rot_k");
            int[] q = all.get(site.substring(0, site.length() - suffix.length()) + "attn.hook_q");
            boolean grouped = kv && q != null && q.length == 3 && q[1] != size;   // grouped-query attention: fewer key/value heads
            return d == 1 ? (grouped ? "kv_heads" : "heads") : "d_head";
        }
        return String.valueOf(size);
    }
}
