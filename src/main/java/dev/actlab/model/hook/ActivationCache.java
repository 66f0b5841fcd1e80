package dev.actlab.model.hook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies of the activations seen at the sites it listens to, in the order they were reached.
 * Successive calls on one site (decode steps) are concatenated along the first dimension.
 */
public final class ActivationCache implements Hook {
    private final Map<String, List<Activation>> chunks = new LinkedHashMap<>();

    @Override public void apply(Activation a) {
        chunks.computeIfAbsent(key(a), k -> new ArrayList<>()).add(a.copy());
    }

    private static String key(Activation a) { return a.batchIndex == 0 ? a.name : a.name + "#" + a.batchIndex; }

    public Set<String> names() { return chunks.keySet(); }

    public boolean contains(String name) { return chunks.containsKey(name); }

    /** The activation at a site; chunks of several calls are joined along dimension 0. */
    public Activation get(String name) { return get(name, 0); }

    public Activation get(String name, int batchIndex) {
        List<Activation> list = chunks.get(batchIndex == 0 ? name : name + "#" + batchIndex);
        if (list == null) throw new IllegalArgumentException("no activation cached at '" + name + "' (cached: " + chunks.keySet() + ")");
        if (list.size() == 1) return list.get(0);
        Activation first = list.get(0);
        int rows = 0, total = 0;
        for (Activation a : list) {
            if (a.shape.length != first.shape.length) throw new IllegalStateException(name + ": chunks differ in rank");
            for (int d = 1; d < a.shape.length; d++)
                if (a.shape[d] != first.shape[d]) throw new IllegalStateException(name + ": chunks differ in trailing shape; read them with chunks()");
            rows += a.shape[0];
            total += a.size();
        }
        float[] data = new float[total];
        int off = 0;
        for (Activation a : list) { System.arraycopy(a.data, 0, data, off, a.size()); off += a.size(); }
        int[] shape = first.shape.clone();
        shape[0] = rows;
        return new Activation(name, data, 0, shape, first.startPos, batchIndex);
    }

    public List<Activation> chunks(String name) {
        List<Activation> list = chunks.get(name);
        return list == null ? List.of() : List.copyOf(list);
    }
}
