package dev.actlab.model.gguf;

import dev.actlab.model.imatrix.ImatrixWeights;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Llama decoder written as llama-quantize writes it from an F32 GGUF, so that the two files are
 * the same bytes:
 * <ul>
 * <li>metadata: the source GGUF's key-value list in its order (or, for a model read from another
 *     format, the converter's keys), without split keys, then {@code general.quantization_version}
 *     (u32 2) and {@code general.file_type} (u32, llama.cpp's LLAMA_FTYPE of the requested type)
 *     appended at the end;</li>
 * <li>tensors in llama.cpp's model-loader order ({@link #ORDER}), each in the type
 *     {@link LlamaQuantTypes} gives, vectors F32;</li>
 * <li>header and every tensor padded with zeros to 32 bytes (GGUF's default alignment).</li>
 * </ul>
 */
public final class LlamaQuantizeFile {
    private LlamaQuantizeFile() {}

    /** ggml's GGML_QNT_VERSION, written as general.quantization_version. */
    public static final int QUANTIZATION_VERSION = 2;

    private static final Set<String> DROPPED = Set.of("general.alignment", "general.quantization_version", "general.file_type",
            "split.no", "split.count", "split.tensors.count");

    /**
     * llama.cpp's tensor order (its model loader's map): tensors outside the blocks first, then block
     * by block in numeric order (blk.2 before blk.10), by name within each.
     */
    public static final Comparator<String> ORDER = Comparator.comparingInt(LlamaQuantizeFile::layer).thenComparing(Comparator.naturalOrder());

    /** The block number of blk.N.*, or -1 (as llama.cpp's sscanf of "blk.%d."). */
    static int layer(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4, n = 0;
        if (i >= name.length() || !Character.isDigit(name.charAt(i))) return -1;
        while (i < name.length() && Character.isDigit(name.charAt(i))) n = n * 10 + (name.charAt(i++) - '0');
        return n;
    }

    /** The file and how many matrices were stored in each type. */
    public record Plan(GgufWriter writer, Map<DType, Integer> matrixTypes) {}

    /**
     * {@link #plan} for a model loaded from m.source(): its metadata copied when that is a GGUF file,
     * imatrixPath (or null) read and matched to the model's matrices.
     */
    public static Plan prepare(LlamaModel m, DType type, boolean pure, String imatrixPath, String name) throws IOException {
        Path src = Path.of(m.source());
        GgufFile source = Files.isRegularFile(src) && src.toString().endsWith(".gguf") ? GgufFile.open(src) : null;
        ImatrixWeights imatrix = null;
        if (imatrixPath != null) {
            Map<String, Long> columns = new LinkedHashMap<>();
            for (GgufLlamaWriter.Slot s : GgufLlamaWriter.slots(m.config(), m.weights().qBias() != null))
                if (s.matrix()) columns.put(s.name(), (long) s.cols());
            imatrix = ImatrixWeights.read(imatrixPath, columns);
        }
        return plan(m, source, type, pure, imatrix, name);
    }

    /**
     * Model m as llama-quantize writes it for type: pure ({@code --pure}) or its default mixture.
     * source: the GGUF m was read from (its metadata is copied), or null. importance: tensor name to
     * imatrix: the importance weights of llama-quantize --imatrix (its metadata keys are added too), or null.
     */
    public static Plan plan(LlamaModel m, GgufFile source, DType type, boolean pure, ImatrixWeights imatrix, String name) {
        Map<String, float[]> importance = imatrix == null ? Map.of() : imatrix.weights();
        LlamaConfig c = m.config();
        GgufWriter out = new GgufWriter();
        if (source != null) {
            source.entries().forEach((k, v) -> { if (!DROPPED.contains(k)) out.put(k, v); });
        } else {
            GgufLlamaWriter.putConfig(out, c, name);
        }
        out.put("general.quantization_version", GgufValue.u32(QUANTIZATION_VERSION));
        out.put("general.file_type", GgufValue.u32(LlamaQuantTypes.fileType(type)));
        if (imatrix != null) imatrix.metadata().forEach((k, v) ->
                out.put(k, v instanceof String str ? GgufValue.string(str) : GgufValue.u32((Integer) v)));

        List<GgufLlamaWriter.Slot> slots = new ArrayList<>(GgufLlamaWriter.slots(c, m.weights().qBias() != null));
        slots.sort(Comparator.comparing(GgufLlamaWriter.Slot::name, ORDER));
        float[] ropeDivisors = c.ropeScaling() == null ? null : GgufLlamaLoader.llama3Divisors(c, c.ropeScaling());
        LlamaQuantTypes types = new LlamaQuantTypes(c, type, pure, !importance.isEmpty());
        Map<DType, Integer> counts = new TreeMap<>();
        for (GgufLlamaWriter.Slot s : slots) {
            DType stored = types.typeOf(s.name(), s.cols(), s.matrix());
            if (s.matrix()) counts.merge(stored, 1, Integer::sum);
            float[] imp = importance.get(s.name());
            if (imp != null && !takesImportance(stored)) {
                if (!ignoresImportance(stored))
                    throw new IllegalArgumentException(s.name() + ": llama-quantize weights " + stored + " by the imatrix; actlab does not yet");
                imp = null;
            }
            out.tensor(s.name(), stored, s.dims(), GgufLlamaWriter.rows(m.weights(), s.name(), ropeDivisors), imp);
        }
        return new Plan(out, counts);
    }

    /** Types whose quantizer here has llama.cpp's importance-weighted form. */
    public static boolean takesImportance(DType t) { return GgufWriter.takesImportance(t); }

    /** Types that llama.cpp quantizes the same with and without importance weights. */
    private static boolean ignoresImportance(DType t) { return t == DType.F32 || t == DType.F16 || t == DType.Q8_0 || t == DType.MXFP4; }
}
