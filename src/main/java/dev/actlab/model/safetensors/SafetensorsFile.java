package dev.actlab.model.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.BF16Matrix;
import dev.actlab.tensor.F16Matrix;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets: [begin, end)}} plus an optional string map
 * {@code __metadata__}), then the data buffer the offsets are relative to. The file stays
 * memory-mapped; every header field is validated before any tensor is touched, the way the
 * reference implementation does: offsets contiguous from 0 to the end of the buffer, each tensor's
 * byte length equal to product(shape) times its element size.
 */
public final class SafetensorsFile {
    /** Same bound as the reference implementation: a header beyond 100 MB is corrupt. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor of the header; begin and end are absolute file offsets. */
    public record Tensor(String name, DType dtype, long[] shape, long begin, long end) {
        public long elements() { long n = 1; for (long d : shape) n *= d; return n; }
        public String shapeString() { return java.util.Arrays.toString(shape); }
    }

    private final MappedFile file;
    private final Map<String, Tensor> tensors;      // header order
    private final Map<String, String> metadata;

    private SafetensorsFile(MappedFile file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.file = file; this.tensors = tensors; this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) throws IOException { return read(MappedFile.open(path)); }

    public static SafetensorsFile read(MappedFile f) throws FormatException {
        Path path = f.path();
        long n = f.i64("header length", 0);
        if (n < 2 || n > MAX_HEADER_BYTES || n > f.size() - 8)
            throw new FormatException(path, "header length", 0, "value " + n + " is not in [2, min(" + MAX_HEADER_BYTES + ", file size - 8 = " + (f.size() - 8) + ")]");
        byte[] headerBytes = f.slice("header", 8, n).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes);
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getByteOffset());
            throw new FormatException(path, "header", 8 + at, "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new FormatException(path, "header", 8, "invalid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new FormatException(path, "header", 8, "is not a JSON object");
        Header h = new Header(path, headerBytes, 8 + n, f.size() - 8 - n);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) h.metadata(e.getValue(), metadata);
            else tensors.put(e.getKey(), h.tensor(e.getKey(), e.getValue()));
        }
        h.checkContiguous(tensors.values());
        return new SafetensorsFile(f, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    public Path path() { return file.path(); }
    public Map<String, Tensor> tensors() { return tensors; }
    public Map<String, String> metadata() { return metadata; }
    public boolean has(String name) { return tensors.containsKey(name); }

    public Tensor tensor(String name) throws FormatException {
        Tensor t = tensors.get(name);
        if (t == null) throw new FormatException(path(), "tensor '" + name + "'", 0, "is missing");
        return t;
    }

    /** The raw little-endian bytes of a tensor (a view on the mapping). */
    public MemorySegment data(Tensor t) throws FormatException { return file.slice(t.name(), t.begin(), t.end() - t.begin()); }

    /** A tensor of the given shape as float32 values (F16 and BF16 converted). */
    public float[] floats(String name, long... shape) throws FormatException {
        Tensor t = tensor(name);
        requireShape(t, shape);
        return toFloats(t);
    }

    /** Any float tensor, whatever its shape, as float32 values. */
    public float[] toFloats(Tensor t) throws FormatException {
        if (t.elements() > Integer.MAX_VALUE - 8)
            throw new FormatException(path(), "tensor '" + t.name() + "'.shape", t.begin(), t.elements() + " elements do not fit a Java array");
        MemorySegment s = data(t);
        int count = (int) t.elements();
        float[] out = new float[count];
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, F32, 0, out, 0, count);
            case F16 -> { for (int i = 0; i < count; i++) out[i] = Float.float16ToFloat(s.get(U16, 2L * i)); }
            case BF16 -> { for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat((s.get(U16, 2L * i) & 0xFFFF) << 16); }
            default -> throw new FormatException(path(), "tensor '" + t.name() + "'.dtype", t.begin(), t.dtype() + " is not a float type");
        }
        return out;
    }

    /** A weight matrix [rows, cols], memory-mapped and run in its stored type (F32, F16 or BF16). */
    public WeightMatrix matrix(String name, int rows, int cols) throws FormatException {
        Tensor t = tensor(name);
        requireShape(t, rows, cols);
        return switch (t.dtype()) {
            case F32 -> new F32Matrix(data(t), rows, cols);
            case F16 -> new F16Matrix(data(t), rows, cols);
            case BF16 -> new BF16Matrix(data(t), rows, cols);
            default -> throw new FormatException(path(), "tensor '" + name + "'.dtype", t.begin(), t.dtype() + " is not a weight type");
        };
    }

    private void requireShape(Tensor t, long... shape) throws FormatException {
        if (!java.util.Arrays.equals(t.shape(), shape))
            throw new FormatException(path(), "tensor '" + t.name() + "'.shape", t.begin(),
                    "is " + t.shapeString() + ", expected " + java.util.Arrays.toString(shape));
    }

    /** Element size in bytes of the safetensors dtypes actlab reads. */
    static DType dtypeOf(String s) {
        return switch (s) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I8" -> DType.I8;
            case "I32" -> DType.I32;
            default -> null;
        };
    }

    /** Validation of header entries, with positions for the error messages. */
    private record Header(Path path, byte[] json, long dataStart, long dataSize) {

        /** Byte offset in the file of the tensor's key in the header (best effort, for messages). */
        long offsetOf(String name) {
            byte[] key = ("\"" + name + "\"").getBytes(StandardCharsets.UTF_8);
            outer:
            for (int i = 0; i + key.length <= json.length; i++) {
                for (int j = 0; j < key.length; j++) if (json[i + j] != key[j]) continue outer;
                return 8 + i;
            }
            return 8;
        }

        FormatException bad(String name, String key, String problem) {
            return new FormatException(path, "tensor '" + name + "'." + key, offsetOf(name), problem);
        }

        void metadata(JsonNode node, Map<String, String> out) throws FormatException {
            if (!node.isObject()) throw new FormatException(path, "__metadata__", offsetOf("__metadata__"), "is not a JSON object");
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual())
                    throw new FormatException(path, "__metadata__." + e.getKey(), offsetOf("__metadata__"), "is not a string");
                out.put(e.getKey(), e.getValue().asText());
            }
        }

        Tensor tensor(String name, JsonNode node) throws FormatException {
            if (!node.isObject()) throw bad(name, "", "is not a JSON object");
            JsonNode d = node.get("dtype");
            if (d == null || !d.isTextual()) throw bad(name, "dtype", "is missing or not a string");
            DType dtype = dtypeOf(d.asText());
            if (dtype == null) throw bad(name, "dtype", "'" + d.asText() + "' is not supported (F32, F16, BF16, I8, I32)");
            JsonNode s = node.get("shape");
            if (s == null || !s.isArray()) throw bad(name, "shape", "is missing or not an array");
            if (s.size() > 16) throw bad(name, "shape", "has " + s.size() + " dimensions");
            long[] shape = new long[s.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode v = s.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) throw bad(name, "shape[" + i + "]", "'" + v + "' is not a non-negative integer");
                shape[i] = v.asLong();
                // bounded by the data buffer, so the product cannot overflow once checked per step
                if (shape[i] != 0 && elements > dataSize / shape[i]) elements = Long.MAX_VALUE;
                else elements *= shape[i];
            }
            JsonNode o = node.get("data_offsets");
            if (o == null || !o.isArray() || o.size() != 2) throw bad(name, "data_offsets", "is missing or not a pair [begin, end]");
            for (int i = 0; i < 2; i++)
                if (!o.get(i).isIntegralNumber() || !o.get(i).canConvertToLong() || o.get(i).asLong() < 0)
                    throw bad(name, "data_offsets[" + i + "]", "'" + o.get(i) + "' is not a non-negative integer");
            long begin = o.get(0).asLong(), end = o.get(1).asLong();
            if (begin > end || end > dataSize)
                throw bad(name, "data_offsets", "[" + begin + ", " + end + ") is not inside the data buffer of " + dataSize + " bytes");
            if (elements == Long.MAX_VALUE || elements * dtype.blockBytes != end - begin)
                throw bad(name, "shape", java.util.Arrays.toString(shape) + " of " + d.asText() + " does not match the " + (end - begin) + " bytes of data_offsets");
            return new Tensor(name, dtype, shape, dataStart + begin, dataStart + end);
        }

        /** The tensors must tile the data buffer exactly: no gaps, no overlaps, nothing after. */
        void checkContiguous(Iterable<Tensor> tensors) throws FormatException {
            List<Tensor> sorted = new ArrayList<>();
            tensors.forEach(sorted::add);
            sorted.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
            long at = dataStart;
            for (Tensor t : sorted) {
                if (t.begin() != at)
                    throw bad(t.name(), "data_offsets", "begins at " + (t.begin() - dataStart) + " but the previous tensor ends at " + (at - dataStart)
                            + " (tensors must be contiguous and not overlap)");
                at = t.end();
            }
            if (at != dataStart + dataSize)
                throw new FormatException(path, "data buffer", at, "tensors end at " + (at - dataStart) + " but the data buffer has " + dataSize + " bytes");
        }
    }
}
