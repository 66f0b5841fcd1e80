package dev.actlab.steer;

import dev.actlab.io.FormatException;
import dev.actlab.model.gguf.GgmlType;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufTensorInfo;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufValueType;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A llama.cpp control vector: one direction [n_embd] per layer, added (times a scale) to the
 * output of that layer, i.e. to {@code blocks.N.hook_resid_post}.
 *
 * <p>The file is a GGUF with {@code general.architecture = "controlvector"},
 * {@code controlvector.model_hint} (string, the architecture it was made for),
 * {@code controlvector.layer_count} (int32, the number of direction tensors) and one F32 tensor
 * {@code direction.N} [n_embd] per layer N. N counts blocks from 0, but llama.cpp never steers block 0:
 * a file with {@code direction.0} is refused by llama.cpp, and so here.
 *
 * <p>Reading follows llama.cpp's rules (every tensor is a {@code direction.N}, F32, one dimension,
 * all of the same length) and is stricter where llama.cpp would go on with numbers nobody meant:
 * a non-finite value, a layer index written other than as a plain decimal, another architecture.
 * Problems are {@link FormatException}s naming the file and the tensor or key.
 */
public final class ControlVector {
    public static final String ARCHITECTURE = "controlvector";
    public static final String KEY_MODEL_HINT = ARCHITECTURE + ".model_hint";
    public static final String KEY_LAYER_COUNT = ARCHITECTURE + ".layer_count";
    private static final String PREFIX = "direction.";

    private final String modelHint;
    private final int nEmbd;
    private final TreeMap<Integer, float[]> directions;
    private final String source;

    /**
     * @param directions layer (1 or more) to its direction [nEmbd]; copied
     * @param source     where it came from, for messages (a file path, "extracted", ...)
     */
    public ControlVector(String modelHint, int nEmbd, Map<Integer, float[]> directions, String source) {
        if (nEmbd < 1) throw new IllegalArgumentException("n_embd must be >= 1, got " + nEmbd);
        if (directions.isEmpty()) throw new IllegalArgumentException(source + ": a control vector needs at least one direction");
        this.modelHint = Objects.requireNonNullElse(modelHint, "");
        this.nEmbd = nEmbd;
        this.source = source;
        this.directions = new TreeMap<>();
        directions.forEach((layer, d) -> {
            if (layer < 1) throw new IllegalArgumentException(source + ": direction." + layer + ": llama.cpp never steers layer " + layer + " (layers start at 1)");
            if (d.length != nEmbd) throw new IllegalArgumentException(source + ": direction." + layer + " has " + d.length + " values, n_embd is " + nEmbd);
            for (int i = 0; i < d.length; i++)
                if (!Float.isFinite(d[i])) throw new IllegalArgumentException(source + ": direction." + layer + "[" + i + "] is " + d[i]);
            this.directions.put(layer, d.clone());
        });
    }

    public String modelHint() { return modelHint; }
    public int nEmbd() { return nEmbd; }
    public String source() { return source; }

    /** The layers that have a direction, ascending. */
    public List<Integer> layers() { return Collections.unmodifiableList(new ArrayList<>(directions.keySet())); }

    /** A copy of the direction of a layer, or null when the file has none for it. */
    public float[] direction(int layer) {
        float[] d = directions.get(layer);
        return d == null ? null : d.clone();
    }

    /**
     * One direction: that of layer (when not null), or the only one the file has. A file with
     * several directions and no layer chosen is an error listing them.
     */
    public float[] single(Integer layer) {
        if (layer == null) {
            if (directions.size() != 1)
                throw new IllegalArgumentException(source + " has directions for layers " + directions.keySet() + ": choose one as FILE:N");
            return directions.firstEntry().getValue().clone();
        }
        float[] d = directions.get(layer);
        if (d == null) throw new IllegalArgumentException(source + " has no direction." + layer + " (it has layers " + directions.keySet() + ")");
        return d.clone();
    }

    /** Every direction times s, computed in float as llama.cpp does ({@code src[j] * strength}). */
    public ControlVector scaled(float s) {
        Map<Integer, float[]> out = new TreeMap<>();
        directions.forEach((l, d) -> {
            float[] x = new float[nEmbd];
            for (int i = 0; i < nEmbd; i++) x[i] = d[i] * s;
            out.put(l, x);
        });
        return new ControlVector(modelHint, nEmbd, out, source + " x " + s);
    }

    /** The layer-wise sum (a layer missing on one side counts as zeros), as llama.cpp sums several files. */
    public ControlVector plus(ControlVector other) {
        if (other.nEmbd != nEmbd)
            throw new IllegalArgumentException(other.source + " has n_embd " + other.nEmbd + " but " + source + " has " + nEmbd + ": control vectors must match");
        Map<Integer, float[]> out = new TreeMap<>();
        directions.forEach((l, d) -> out.put(l, d.clone()));
        other.directions.forEach((l, d) -> {
            float[] acc = out.computeIfAbsent(l, k -> new float[nEmbd]);
            for (int i = 0; i < nEmbd; i++) acc[i] += d[i];
        });
        return new ControlVector(modelHint, nEmbd, out, source + " + " + other.source);
    }

    /**
     * Checks that this vector fits a model: n_embd equal to its d_model and every layer below its
     * layer count. llama.cpp refuses the first and silently ignores directions past the last layer;
     * here both are errors naming the file and the tensor.
     */
    public void checkFits(HookedModel model) throws FormatException {
        if (nEmbd != model.dModel())
            throw new FormatException(Path.of(source), PREFIX + directions.firstKey(), 0, "n_embd " + nEmbd + " does not match the model "
                    + model.source() + " (d_model " + model.dModel() + ")");
        int last = directions.lastKey();
        if (last >= model.layers())
            throw new FormatException(Path.of(source), PREFIX + last, 0, "layer " + last + " does not exist in " + model.source()
                    + " (" + model.layers() + " layers, 0.." + (model.layers() - 1) + ")");
    }

    // ---- the file ----

    /** Reads a control-vector GGUF. */
    public static ControlVector read(Path file) throws IOException {
        GgufFile f = GgufFile.open(file);
        String arch = f.string("general.architecture", null);
        if (arch != null && !arch.equals(ARCHITECTURE))
            throw f.error("general.architecture", 0, "is \"" + arch + "\", a control vector's is \"" + ARCHITECTURE + "\"");
        String hint = f.string(KEY_MODEL_HINT, "");
        f.integer(KEY_LAYER_COUNT);   // llama.cpp does not use it either; read to check its kind
        if (f.tensors().isEmpty()) throw f.error("tensors", f.dataOffset(), "no direction.N tensors (llama.cpp refuses such a file)");
        int n = -1;
        Map<Integer, float[]> dirs = new TreeMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            int layer = layerOf(t.name());
            if (layer < 0) throw f.error(t.name(), t.fileOffset(), "is not a direction.N tensor (N a layer number from 1)");
            if (layer == 0) throw f.error(t.name(), t.fileOffset(), "layer 0 is never steered (llama.cpp refuses direction.0)");
            if (t.type() != GgmlType.F32) throw f.error(t.name(), t.fileOffset(), "is " + t.type() + "; control vector directions are F32");
            for (int d = 1; d < t.dims().length; d++)
                if (t.dims()[d] != 1) throw f.error(t.name(), t.fileOffset(), "is " + t.shape() + "; a direction has one dimension");
            if (t.elements() < 1 || t.elements() > Integer.MAX_VALUE)
                throw f.error(t.name(), t.fileOffset(), "has " + t.elements() + " values");
            if (n < 0) n = (int) t.elements();
            else if (t.elements() != n)
                throw f.error(t.name(), t.fileOffset(), "has " + t.elements() + " values, the tensors before it " + n + " (n_embd must be the same)");
            float[] v = new float[n];
            java.lang.foreign.MemorySegment.copy(f.data(t), ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v, 0, n);
            for (int i = 0; i < n; i++)
                if (!Float.isFinite(v[i])) throw f.error(t.name(), t.fileOffset() + 4L * i, "value [" + i + "] is " + v[i]);
            dirs.put(layer, v);
        }
        return new ControlVector(hint, n, dirs, file.toString());
    }

    /** The layer N of "direction.N" written as a plain decimal; -1 for any other name. */
    static int layerOf(String name) {
        if (!name.startsWith(PREFIX)) return -1;
        String s = name.substring(PREFIX.length());
        if (s.isEmpty() || s.length() > 6 || !s.chars().allMatch(Character::isDigit)) return -1;
        if (s.length() > 1 && s.charAt(0) == '0') return -1;
        return Integer.parseInt(s);
    }

    /** Writes the file llama.cpp reads: architecture, model hint, layer count (int32), F32 direction.N in layer order. */
    public void write(Path file) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string(ARCHITECTURE));
        w.put(KEY_MODEL_HINT, GgufValue.string(modelHint));
        w.put(KEY_LAYER_COUNT, GgufValue.of(GgufValueType.INT32, directions.size()));
        directions.forEach((layer, d) -> w.tensor(PREFIX + layer, DType.F32, new long[]{nEmbd}, (r, dst) -> System.arraycopy(d, 0, dst, 0, nEmbd)));
        w.write(file);
    }

    @Override public String toString() {
        return "control vector " + source + " (n_embd " + nEmbd + ", layers " + directions.keySet() + (modelHint.isEmpty() ? "" : ", for " + modelHint) + ")";
    }
}
