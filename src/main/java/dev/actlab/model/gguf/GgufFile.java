package dev.actlab.model.gguf;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.tensor.WeightMatrices;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (version 2 or 3), memory-mapped: header, metadata, tensor infos; tensor data
 * stays in the mapping. Every count, length and offset is checked against the file size before
 * anything is allocated; problems are {@link FormatException}s naming the field and offset.
 *
 * <pre>
 * u32 magic "GGUF" | u32 version | u64 tensor_count | u64 metadata_kv_count
 * metadata_kv_count x (string key, u32 value_type, value)
 * tensor_count x (string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset)
 * padding to general.alignment (default 32) | tensor data (offsets relative to here)
 * </pre>
 * Strings are u64 length + UTF-8 bytes; arrays are u32 element type + u64 count + elements.
 */
public final class GgufFile {
    public static final int MAGIC = 0x46554747;   // "GGUF" read as little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 8;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MappedFile file;
    private final int version;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<GgufTensorInfo> tensors = new ArrayList<>();
    private final Map<String, GgufTensorInfo> byName = new HashMap<>();
    private final java.util.Set<String> used = new java.util.HashSet<>();
    private final Map<String, Long> keyOffsets = new HashMap<>();   // where each metadata key's entry starts
    private long alignment = DEFAULT_ALIGNMENT;
    private long dataOffset;
    private long pos;   // read cursor while parsing the header

    private GgufFile(MappedFile file) throws FormatException {
        this.file = file;
        int magic = file.i32("magic", 0);
        if (magic != MAGIC) throw error("magic", 0, String.format("0x%08x is not GGUF (0x%08x)", magic, MAGIC));
        version = file.i32("version", 4);
        if (version != 2 && version != 3)
            throw error("version", 4, "GGUF version " + Integer.toUnsignedString(version) + " is not supported (2 and 3 are)");
        pos = 8;
        long tensorCount = count("tensor_count", 24);
        long kvCount = count("metadata_kv_count", 13);
        for (long i = 0; i < kvCount; i++) readKeyValue(i);
        for (int i = 0; i < tensorCount; i++) readTensorInfo(i);
        dataOffset = align(pos);
        checkTensorData();
    }

    public static GgufFile open(Path path) throws IOException { return read(MappedFile.open(path)); }

    public static GgufFile read(MappedFile file) throws FormatException { return new GgufFile(file); }

    public Path path() { return file.path(); }
    public int version() { return version; }
    public long alignment() { return alignment; }
    /** Absolute offset of the tensor data section. */
    public long dataOffset() { return dataOffset; }
    public List<GgufTensorInfo> tensors() { return Collections.unmodifiableList(tensors); }
    public GgufTensorInfo tensor(String name) { return byName.get(name); }

    /** Metadata values in file order (see {@link GgufValue} for their Java types). */
    public Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        metadata.forEach((k, v) -> m.put(k, v.value()));
        return Collections.unmodifiableMap(m);
    }

    /** Metadata with their kinds. */
    public Map<String, GgufValue> entries() { return Collections.unmodifiableMap(metadata); }

    public GgufValue entry(String key) { return metadata.get(key); }

    /** The mapped bytes of a tensor. */
    public MemorySegment data(GgufTensorInfo t) { return file.segment().asSlice(t.fileOffset(), t.byteSize()); }

    // ---- typed metadata access: a wrong kind is a FormatException naming the key ----

    public String string(String key, String fallback) throws FormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return fallback;
        if (v.type() != GgufValueType.STRING) throw error(key, 0, "expected a string, found " + v.type());
        return (String) v.value();
    }

    public Long integer(String key) throws FormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        Long l = v.asLong();
        if (l == null) throw error(key, 0, "expected an integer, found " + v.type());
        return l;
    }

    public Double number(String key) throws FormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        Double d = v.asDouble();
        if (d == null) throw error(key, 0, "expected a number, found " + v.type());
        return d;
    }

    // ---- tensors as weights ----

    /** The 2-D tensor W [rows, cols] (ggml dims {cols, rows}), executed in its stored type. */
    public WeightMatrix matrix(String name, int rows, int cols) throws FormatException {
        GgufTensorInfo t = require(name);
        long[] d = t.dims();
        boolean fits = d.length >= 1 && d[0] == cols && t.elements() == (long) rows * cols;
        if (!fits) throw error(name, t.fileOffset(), "tensor is " + t.shape() + ", expected [" + cols + ", " + rows + "]");
        if (t.type().dtype == null)
            throw error(name, t.fileOffset(), "ggml type " + t.type() + " (id " + t.type().id + ") cannot be executed by actlab");
        try {
            return WeightMatrices.of(t.type().dtype, data(t), rows, cols);
        } catch (IllegalArgumentException e) {
            throw error(name, t.fileOffset(), e.getMessage());
        }
    }

    /** A 1-D tensor of n values as float32 (any executable type). */
    public float[] vector(String name, int n) throws FormatException {
        GgufTensorInfo t = require(name);
        if (t.elements() != n) throw error(name, t.fileOffset(), "tensor is " + t.shape() + ", expected [" + n + "]");
        float[] v = new float[n];
        matrix(name, 1, n).dequantizeRow(0, v, 0);
        for (int i = 0; i < n; i++)   // norms and biases are small: check them whole (matrices are checked at the logits)
            if (!Float.isFinite(v[i])) throw error(name, t.fileOffset(), "value " + i + " is " + v[i] + ", not a finite number");
        return v;
    }

    /** The tensor's info; marks it as used by the loader (see {@link #unused}). */
    public GgufTensorInfo require(String name) throws FormatException {
        GgufTensorInfo t = byName.get(name);
        if (t == null) throw error(name, dataOffset, "tensor is missing");
        used.add(name);
        return t;
    }

    /**
     * An error naming field at offset. For a metadata key given with offset 0 (loaders checking a
     * hyperparameter), the offset reported is where that key is stored in the file; a missing key
     * stays at 0.
     */
    public FormatException error(String field, long offset, String problem) {
        if (offset == 0 && keyOffsets.containsKey(field)) offset = keyOffsets.get(field);
        return new FormatException(file.path(), field, offset, problem);
    }

    // ---- parsing ----

    /** A u64 count that cannot exceed what the rest of the file could hold at minBytes each. */
    private long count(String field, int minBytes) throws FormatException {
        long at = pos;
        long n = u64(field);
        long room = file.size() - pos;
        if (n < 0 || n > room / minBytes)
            throw error(field, at, "count " + Long.toUnsignedString(n) + " cannot fit in the " + room + " bytes left");
        return n;
    }

    private int u32(String field) throws FormatException { int v = file.i32(field, pos); pos += 4; return v; }
    private long u64(String field) throws FormatException { long v = file.i64(field, pos); pos += 8; return v; }

    private String string(String field) throws FormatException {
        long at = pos;
        long len = u64(field + ".length");
        if (len < 0 || len > file.size() - pos || len > Integer.MAX_VALUE - 16)
            throw error(field, at, "string length " + Long.toUnsignedString(len) + " exceeds the " + (file.size() - pos) + " bytes left");
        byte[] b = new byte[(int) len];
        MemorySegment.copy(file.segment(), ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
        pos += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * An array of len strings as one block of UTF-8 bytes ({@link GgufStrings}): a first pass checks
     * every length against the bytes left and sums them, then one copy.
     */
    private GgufStrings strings(String field, int len) throws FormatException {
        int[] start = new int[len + 1];
        long first = pos, total = 0;
        for (int i = 0; i < len; i++) {
            long at = pos;
            if (file.size() - pos < 8) file.require(field + "[" + i + "].length", pos, 8);   // throws, naming the element
            long n = file.segment().get(I64, pos);
            pos += 8;
            if (n < 0 || n > file.size() - pos)
                throw error(field + "[" + i + "]", at, "string length " + Long.toUnsignedString(n) + " exceeds the " + (file.size() - pos) + " bytes left");
            total += n;
            if (total > Integer.MAX_VALUE - 16) throw error(field + "[" + i + "]", at, "the array's strings exceed " + (Integer.MAX_VALUE - 16) + " bytes");
            start[i + 1] = (int) total;
            pos += n;
        }
        byte[] utf8 = new byte[(int) total];
        long p = first;
        for (int i = 0; i < len; i++) {
            int n = start[i + 1] - start[i];
            MemorySegment.copy(file.segment(), ValueLayout.JAVA_BYTE, p + 8, utf8, start[i], n);
            p += 8 + n;
        }
        return new GgufStrings(utf8, start);
    }

    private void readKeyValue(long index) throws FormatException {
        long keyAt = pos;
        String key = string("metadata[" + index + "].key");
        keyOffsets.putIfAbsent(key, keyAt);
        long at = pos;
        int typeId = u32(key + ".type");
        GgufValueType type = GgufValueType.ofId(Integer.toUnsignedLong(typeId));
        if (type == null) throw error(key, at, "unknown metadata value type " + Integer.toUnsignedString(typeId));
        GgufValue v = readValue(key, type, 0);
        if (metadata.put(key, v) != null) throw error(key, at, "duplicate metadata key");
        if (key.equals("general.alignment")) {
            Long a = v.asLong();
            if (a == null || a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1)
                throw error(key, at, "alignment must be a power of two, got " + v);
            alignment = a;
        }
    }

    private GgufValue readValue(String field, GgufValueType type, int depth) throws FormatException {
        long at = pos;
        return switch (type) {
            case UINT8, INT8 -> { byte b = file.u8(field, pos); pos += 1; yield GgufValue.of(type, b); }
            case UINT16, INT16 -> { file.require(field, pos, 2); short s = file.segment().get(I16, pos); pos += 2; yield GgufValue.of(type, s); }
            case UINT32, INT32 -> GgufValue.of(type, u32(field));
            case UINT64, INT64 -> GgufValue.of(type, u64(field));
            case FLOAT32 -> GgufValue.of(type, Float.intBitsToFloat(u32(field)));
            case FLOAT64 -> GgufValue.of(type, Double.longBitsToDouble(u64(field)));
            case BOOL -> {
                byte b = file.u8(field, pos);
                if (b != 0 && b != 1) throw error(field, at, "bool byte is " + b + ", not 0 or 1");
                pos += 1;
                yield GgufValue.of(type, b == 1);
            }
            case STRING -> GgufValue.of(type, string(field));
            case ARRAY -> readArray(field, depth);
        };
    }

    private GgufValue readArray(String field, int depth) throws FormatException {
        long at = pos;
        if (depth >= MAX_NESTING) throw error(field, at, "arrays nested deeper than " + MAX_NESTING);
        int typeId = u32(field + ".element_type");
        GgufValueType et = GgufValueType.ofId(Integer.toUnsignedLong(typeId));
        if (et == null) throw error(field, at, "unknown array element type " + Integer.toUnsignedString(typeId));
        long n = count(field + ".count", et.minBytes);
        if (n > Integer.MAX_VALUE - 16) throw error(field, at, "array of " + n + " elements is too long");
        int len = (int) n;
        MemorySegment s = file.segment();
        Object values = switch (et) {
            case UINT8, INT8 -> { byte[] a = new byte[len]; MemorySegment.copy(s, ValueLayout.JAVA_BYTE, pos, a, 0, len); pos += len; yield a; }
            case UINT16, INT16 -> { short[] a = new short[len]; MemorySegment.copy(s, I16, pos, a, 0, len); pos += 2L * len; yield a; }
            case UINT32, INT32 -> { int[] a = new int[len]; MemorySegment.copy(s, I32, pos, a, 0, len); pos += 4L * len; yield a; }
            case UINT64, INT64 -> { long[] a = new long[len]; MemorySegment.copy(s, I64, pos, a, 0, len); pos += 8L * len; yield a; }
            case FLOAT32 -> { float[] a = new float[len]; MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, a, 0, len); pos += 4L * len; yield a; }
            case FLOAT64 -> { double[] a = new double[len]; MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, a, 0, len); pos += 8L * len; yield a; }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) a[i] = (Boolean) readValue(field + "[" + i + "]", et, depth + 1).value();
                yield a;
            }
            case STRING -> strings(field, len);
            case ARRAY -> {
                GgufValue[] a = new GgufValue[len];
                for (int i = 0; i < len; i++) a[i] = readArray(field + "[" + i + "]", depth + 1);
                yield a;
            }
        };
        return GgufValue.array(et, values);
    }

    private void readTensorInfo(int index) throws FormatException {
        String f = "tensor_info[" + index + "]";
        String name = string(f + ".name");
        long at = pos;
        int nDims = u32(f + ".n_dims");
        if (nDims < 0 || nDims > MAX_DIMS) throw error(f + ".n_dims", at, "n_dims " + Integer.toUnsignedString(nDims) + " is outside [0, " + MAX_DIMS + "] (tensor " + name + ")");
        long[] dims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = pos;
            dims[d] = u64(f + ".dims");
            if (dims[d] < 0) throw error(f + ".dims", dimAt, "dimension " + Long.toUnsignedString(dims[d]) + " is too large (tensor " + name + ")");
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw error(f + ".dims", dimAt, "element count overflows (tensor " + name + ")");
            }
        }
        long typeAt = pos;
        int typeId = u32(f + ".type");
        GgmlType type = GgmlType.ofId(Integer.toUnsignedLong(typeId));
        if (type == null) throw error(f + ".type", typeAt, "unknown ggml type id " + Integer.toUnsignedString(typeId) + " (tensor " + name + ")");
        if (nDims > 0 && dims[0] % type.blockSize != 0)
            throw error(f + ".dims", at, "first dimension " + dims[0] + " is not a multiple of the " + type + " block size " + type.blockSize + " (tensor " + name + ")");
        long offAt = pos;
        long offset = u64(f + ".offset");
        long size = elements / type.blockSize * type.blockBytes;   // elements < 2^63, blockBytes/blockSize <= 4: no overflow past 2^63 / 32 * 292
        if (elements / type.blockSize > Long.MAX_VALUE / type.blockBytes)
            throw error(f + ".dims", at, "byte size overflows (tensor " + name + ")");
        GgufTensorInfo t = new GgufTensorInfo(name, dims, type, offset, size);   // offset relative until checkTensorData
        if (byName.containsKey(name)) throw error(f + ".name", offAt, "duplicate tensor name " + name);
        byName.put(name, t);
        tensors.add(t);
    }

    private long align(long p) throws FormatException {
        long r = p % alignment;
        return r == 0 ? p : p + (alignment - r);
    }

    /**
     * Turns relative offsets into absolute ones once the data section's start is known, and checks
     * the data regions against each other as llama.cpp does: each tensor's byte size follows from
     * its type and dims, and the tensors lie in header order, each starting where the previous one
     * ends (padded to the alignment), the first at 0. So a changed type or dim (the size no longer
     * matches the gap to the next tensor), an offset that makes two tensors overlap, and a region
     * past the end are all errors; bytes after the last tensor's padded end belong to no tensor and
     * are one too.
     */
    private void checkTensorData() throws FormatException {
        long expected = 0;   // where the next tensor must start, relative to dataOffset
        for (int i = 0; i < tensors.size(); i++) {
            GgufTensorInfo t = tensors.get(i);
            String f = "tensor_info[" + i + "].offset";
            long rel = t.fileOffset();
            String what = "tensor " + t.name() + " " + t.shape() + " " + t.type();
            if (rel < 0 || rel % alignment != 0)
                throw error(f, dataOffset, "offset " + Long.toUnsignedString(rel) + " of tensor " + t.name() + " is not a multiple of the alignment " + alignment);
            if (rel > file.size() - dataOffset || t.byteSize() > file.size() - dataOffset - rel)
                throw error(f, dataOffset + Math.min(rel, file.size()), what + " needs "
                        + t.byteSize() + " bytes at data offset " + rel + " but the file has " + file.size() + " bytes (truncated or corrupt)");
            if (rel != expected) {
                String prev = i == 0 ? null : describe(tensors.get(i - 1));
                String problem;
                if (i == 0) problem = "the first tensor " + t.name() + " starts at data offset " + rel + ", not 0: " + rel + " bytes before it belong to no tensor";
                else if (rel < expected) problem = what + " at data offset " + rel + " overlaps the previous " + prev + ", which ends at " + expected + " (with padding)";
                else problem = what + " starts at data offset " + rel + " but the previous " + prev + " ends at " + expected + " (with padding): "
                        + (rel - expected) + " bytes between them belong to no tensor, so the previous tensor's type or dims do not match its data";
                throw error(f, dataOffset + rel, problem + " (tensors must follow each other in header order, as llama.cpp requires)");
            }
            expected = align(rel + t.byteSize());
            GgufTensorInfo abs = new GgufTensorInfo(t.name(), t.dims(), t.type(), dataOffset + rel, t.byteSize());
            tensors.set(i, abs);
            byName.put(t.name(), abs);
        }
        if (!tensors.isEmpty() && file.size() - dataOffset > expected) {
            GgufTensorInfo last = tensors.get(tensors.size() - 1);
            throw error("tensor_info[" + (tensors.size() - 1) + "]", dataOffset + expected, (file.size() - dataOffset - expected)
                    + " bytes after the end of the last " + describe(last) + " belong to no tensor: its type or dims do not match its data");
        }
    }

    private static String describe(GgufTensorInfo t) {
        return "tensor " + t.name() + " (" + t.shape() + " " + t.type() + ", " + t.byteSize() + " bytes)";
    }

    // ---- every tensor is accounted for ----

    /** Tensors not yet fetched through {@link #require}, {@link #matrix} or {@link #vector}, in file order. */
    public List<GgufTensorInfo> unused() {
        List<GgufTensorInfo> out = new ArrayList<>();
        for (GgufTensorInfo t : tensors) if (!used.contains(t.name())) out.add(t);
        return out;
    }
}
