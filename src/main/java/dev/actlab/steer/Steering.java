package dev.actlab.steer;

import dev.actlab.io.FormatException;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.nio.file.Path;

/**
 * What to do to a model's residual stream while it runs, with llama.cpp's meaning for control vectors:
 *
 * <ul>
 * <li>control vectors, each with a scale: the scaled files are summed layer by layer (in float, in the
 *     order given), and the sum for layer N is added, raw (never normalised), to every position of
 *     {@code blocks.N.hook_resid_post} for N in the layer range; layer 0 is never steered;</li>
 * <li>the layer range START..END, inclusive; a bound &lt;= 0 means its default (1 and the model's layer
 *     count), as llama.cpp's {@code --control-vector-layer-range} does;</li>
 * <li>directional ablation of one direction v̂: x - (x . v̂) v̂ at {@code blocks.0.hook_resid_pre} and at
 *     every layer's {@code hook_resid_mid} and {@code hook_resid_post} (so every residual-stream site is
 *     orthogonal to v̂), every position, before the control vectors are added.</li>
 * </ul>
 * A layer whose summed vector is all zeros (every scale 0) is not hooked: the run is then the
 * unsteered run, bit for bit.
 */
public final class Steering {
    public record Scaled(ControlVector vector, float scale) {}

    private final List<Scaled> vectors = new ArrayList<>();
    private int layerStart = -1, layerEnd = -1;
    private float[] ablate;
    private String ablateSource, ablateTensor;
    private ControlVector ablateFile;

    public Steering add(ControlVector v, float scale) {
        if (!Float.isFinite(scale)) throw new IllegalArgumentException(v.source() + ": scale " + scale + " is not finite");
        vectors.add(new Scaled(v, scale));
        return this;
    }

    /** Inclusive; a bound &lt;= 0 takes its default (1, the model's layer count). */
    public Steering layerRange(int start, int end) { layerStart = start; layerEnd = end; return this; }

    public Steering ablate(float[] direction, String source) {
        this.ablate = DirectionalAblation.unit(direction);
        this.ablateSource = source;
        this.ablateFile = null;
        return this;
    }

    /** Ablates direction.N of a control-vector file (layer null: its only direction). */
    public Steering ablate(ControlVector file, Integer layer) {
        ablate(file.single(layer), layer == null ? file.source() : file.source() + ":" + layer);
        this.ablateFile = file;
        this.ablateTensor = "direction." + (layer == null ? file.layers().get(0) : layer);
        return this;
    }

    public boolean isEmpty() { return vectors.isEmpty() && ablate == null; }

    public List<Scaled> vectors() { return List.copyOf(vectors); }

    /** The sum of the scaled vectors, or null when there are none. */
    public ControlVector combined() {
        ControlVector sum = null;
        for (Scaled s : vectors) {
            ControlVector v = s.vector.scaled(s.scale);
            sum = sum == null ? v : sum.plus(v);
        }
        return sum;
    }

    /** The first and last layer steered on a model of this many layers (llama.cpp's defaults for bounds &lt;= 0). */
    public int[] effectiveRange(int layers) {
        int a = layerStart <= 0 ? 1 : layerStart, b = layerEnd <= 0 ? layers : layerEnd;
        return new int[]{a, b};
    }

    /** The hooks for one model; checks that every file fits it. */
    public Hooks hooks(HookedModel model) throws FormatException {
        Hooks h = new Hooks();
        bind(model).accept(h);
        return h;
    }

    /**
     * Checks every file against the model and returns what adds this steering's hooks to a Hooks
     * (add them before hooks that should see the steered activations).
     */
    public Consumer<Hooks> bind(HookedModel model) throws FormatException {
        Map<String, Hook> plan = new LinkedHashMap<>();
        if (ablate != null) {
            if (ablate.length != model.dModel())
                throw new FormatException(Path.of(ablateFile != null ? ablateFile.source() : ablateSource), ablateFile != null ? ablateTensor : "direction", 0,
                        "has " + ablate.length + " values; the model " + model.source() + " has d_model " + model.dModel());
            DirectionalAblation hook = new DirectionalAblation(ablate);
            plan.put(HookSite.RESID_PRE.nameAt(0), hook);
            for (int l = 0; l < model.layers(); l++) {
                plan.put(HookSite.RESID_MID.nameAt(l), hook);
                plan.put(HookSite.RESID_POST.nameAt(l), hook);
            }
        }
        if (!vectors.isEmpty()) {
            for (Scaled s : vectors) s.vector.checkFits(model);
            int[] range = effectiveRange(model.layers());
            if (range[0] > range[1]) throw new IllegalArgumentException("--control-vector-layer-range " + range[0] + " " + range[1] + " is empty");
            ControlVector sum = combined();
            boolean any = false;
            for (int l : sum.layers()) {
                if (l < range[0] || l > range[1]) continue;
                any = true;
                float[] v = sum.direction(l);
                if (allZero(v)) continue;
                String site = HookSite.RESID_POST.nameAt(l);
                Hook add = new AddVector(v);
                plan.merge(site, add, Hook::andThen);   // after the ablation at the same site
            }
            if (!any) throw new IllegalArgumentException("--control-vector-layer-range " + range[0] + " " + range[1]
                    + " leaves out every layer the control vectors have (" + sum.layers() + ")");
        }
        return h -> plan.forEach(h::add);
    }

    private static boolean allZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }

    /** One line that names what this steering does, e.g. for a capture's manifest. */
    public String summary(HookedModel model) {
        StringBuilder b = new StringBuilder();
        for (Scaled s : vectors) b.append(b.isEmpty() ? "" : " + ").append(s.vector.source()).append(':').append(s.scale);
        if (!vectors.isEmpty()) {
            int[] r = effectiveRange(model.layers());
            b.append(" at blocks.N.hook_resid_post, N in ").append(r[0]).append("..").append(r[1]);
        }
        if (ablate != null) b.append(b.isEmpty() ? "" : "; ").append("ablate ").append(ablateSource);
        return b.toString();
    }

    /** For JSON output: the files, scales, layers steered and the ablated direction. */
    public Map<String, Object> describe(HookedModel model) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> vs = new ArrayList<>();
        for (Scaled s : vectors) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("file", s.vector.source());
            v.put("scale", s.scale);
            v.put("model_hint", s.vector.modelHint());
            v.put("layers", s.vector.layers());
            vs.add(v);
        }
        m.put("control_vectors", vs);
        if (!vectors.isEmpty()) {
            int[] r = effectiveRange(model.layers());
            m.put("layer_range", List.of(r[0], r[1]));
            m.put("site", "blocks.N.hook_resid_post");
        }
        if (ablate != null) m.put("ablate_direction", ablateSource);
        return m;
    }
}
