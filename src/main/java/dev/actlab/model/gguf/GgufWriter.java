package dev.actlab.model.gguf;

import dev.actlab.io.Progress;

import dev.actlab.io.AtomicFile;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.F16Matrix;
import dev.actlab.tensor.Mxfp4Matrix;
import dev.actlab.tensor.IQ4NLQuantizer;
import dev.actlab.tensor.KQuantizer;
import dev.actlab.tensor.LegacyImportanceQuantizer;
import dev.actlab.tensor.Q4_0Matrix;
import dev.actlab.tensor.Q4_1Matrix;
import dev.actlab.tensor.Q5_0Matrix;
import dev.actlab.tensor.Q5_1Matrix;
import dev.actlab.tensor.Q8_0Matrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file: metadata, then tensors in one of {@link #WRITABLE} (quantized here, row by
 * row, as llama.cpp's reference quantizers do) or as raw bytes of any ggml type. Tensors are
 * streamed one row at a time, so a model larger than the heap can be written. The file is written
 * beside the target and moved into place when complete.
 */
public final class GgufWriter {
    /** Supplies row r (of dims[1] * dims[2] * ... rows) of dims[0] floats. */
    @FunctionalInterface
    public interface Rows { void row(long r, float[] dst); }

    private record Entry(String name, long[] dims, GgmlType type, Rows rows, float[] importance, MemorySegment raw, long size) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final int alignment;

    public GgufWriter() { this(GgufFile.DEFAULT_ALIGNMENT); }

    public GgufWriter(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) metadata.put("general.alignment", GgufValue.u32(alignment));
    }

    public GgufWriter put(String key, GgufValue value) {
        if (key.equals("general.alignment")) throw new IllegalArgumentException("alignment is set by the constructor");
        metadata.put(key, value);
        return this;
    }

    /** The types the writer quantizes to: the one list that --dtype options offer. */
    public static final List<DType> WRITABLE = List.of(DType.F32, DType.F16, DType.Q8_0, DType.Q4_0,
            DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.MXFP4, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_NL);

    /** A --dtype value (any case) to a writable type; the error names the option and the choices. */
    public static DType writableType(String option, String value) {
        for (DType d : WRITABLE) if (d.name().equalsIgnoreCase(value)) return d;
        throw new IllegalArgumentException(option + " must be one of " + WRITABLE + ", not " + value);
    }

    /** A tensor of dims (ggml order) computed row by row and stored as one of {@link #WRITABLE}. */
    public GgufWriter tensor(String name, DType type, long[] dims, Rows rows) { return tensor(name, type, dims, rows, null); }

    /**
     * As {@link #tensor(String, DType, long[], Rows)}, quantized with llama.cpp's importance-weighted
     * quantizers (its --imatrix forms) when importance is given: one value per column (dims[0]), the
     * imatrix entry of this tensor. Only the K-quants take it.
     */
    public GgufWriter tensor(String name, DType type, long[] dims, Rows rows, float[] importance) {
        if (!WRITABLE.contains(type))
            throw new IllegalArgumentException("the writer quantizes to " + WRITABLE + ", not " + type);
        if (importance != null && !takesImportance(type))
            throw new IllegalArgumentException(name + ": importance weights apply to K-quants, IQ4_NL, Q4_0, Q4_1, Q5_0 and Q5_1, not " + type);
        if (importance != null && importance.length != dims[0])
            throw new IllegalArgumentException(name + ": " + importance.length + " importance values for " + dims[0] + " columns");
        GgmlType g = GgmlType.of(type);
        return add(new Entry(name, dims.clone(), g, rows, importance == null ? null : importance.clone(), null, size(name, dims, g)));
    }

    /** Types quantized here with llama.cpp's importance-weighted forms when given an imatrix entry. */
    public static boolean takesImportance(DType t) {
        return KQuantizer.writes(t) || t == DType.IQ4_NL || LegacyImportanceQuantizer.writes(t);
    }

    /**
     * The type a matrix of this many columns is stored in when type is requested: type when the
     * columns are whole blocks; else, for a K-quant, llama-quantize's fallback (without --pure:
     * Q2_K and Q3_K to IQ4_NL, Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0) when this writer writes
     * it and the columns fit it; else null (the caller's last resort: F16 as llama-quantize, or F32).
     */
    public static DType fittingType(DType type, long cols) {
        if (cols % type.blockSize == 0) return type;
        GgmlType fallback = switch (type) {
            case Q2_K, Q3_K -> GgmlType.IQ4_NL;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> null;
        };
        if (fallback == null || fallback.dtype == null || !WRITABLE.contains(fallback.dtype) || cols % fallback.blockSize != 0) return null;
        return fallback.dtype;
    }

    /** A tensor given as raw bytes already in ggml layout (any type). */
    public GgufWriter rawTensor(String name, GgmlType type, long[] dims, MemorySegment bytes) {
        long size = size(name, dims, type);
        if (bytes.byteSize() != size) throw new IllegalArgumentException(name + ": " + bytes.byteSize() + " bytes given, " + size + " needed");
        return add(new Entry(name, dims.clone(), type, null, null, bytes, size));
    }

    private GgufWriter add(Entry e) {
        if (!names.add(e.name)) throw new IllegalArgumentException("duplicate tensor " + e.name);
        tensors.add(e);
        return this;
    }

    private static long size(String name, long[] dims, GgmlType t) {
        if (dims.length < 1 || dims.length > 4) throw new IllegalArgumentException(name + ": 1 to 4 dims, got " + dims.length);
        long n = 1;
        for (long d : dims) { if (d < 1) throw new IllegalArgumentException(name + ": dims must be positive"); n = Math.multiplyExact(n, d); }
        if (dims[0] % t.blockSize != 0) throw new IllegalArgumentException(name + ": dims[0] = " + dims[0] + " is not a multiple of " + t.blockSize + " for " + t);
        return n / t.blockSize * t.blockBytes;
    }

    public void write(Path target) throws IOException { write(target, null); }

    public void write(Path target, Progress progress) throws IOException {
        Path tmp = AtomicFile.temporarySibling(target);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
            byte[] header = header();
            writeFully(ch, ByteBuffer.wrap(header));
            long pos = header.length;
            pos = pad(ch, pos);
            long total = 0, done = 0;
            for (Entry e : tensors) total += e.size;
            for (Entry e : tensors) {
                if (e.raw != null) writeFully(ch, e.raw.asByteBuffer());
                else writeRows(ch, e);
                pos += e.size;
                pos = pad(ch, pos);
                done += e.size;
                if (progress != null) progress.update(done, total);
            }
        } catch (IOException | RuntimeException | Error e) {
            AtomicFile.discard(tmp);
            throw e;
        }
        try {
            AtomicFile.commit(tmp, target);   // fsync, rename, fsync of the directory
        } finally {
            AtomicFile.discard(tmp);          // nothing left when the rename failed; a no-op after it
        }
    }

    private void writeRows(FileChannel ch, Entry e) throws IOException {
        int cols = Math.toIntExact(e.dims[0]);
        long rows = 1;
        for (int i = 1; i < e.dims.length; i++) rows *= e.dims[i];
        long rowBytes = e.size / rows;
        int perChunk = (int) Math.max(1, (1 << 20) / rowBytes);   // about 1 MiB per write
        MemorySegment buf = MemorySegment.ofArray(new byte[(int) (rowBytes * perChunk)]);
        float[] row = new float[cols];
        long r = 0;
        while (r < rows) {
            int k = (int) Math.min(perChunk, rows - r);
            for (int i = 0; i < k; i++, r++) {
                e.rows.row(r, row);
                long o = i * rowBytes;
                if (e.importance != null && LegacyImportanceQuantizer.writes(e.type.dtype)) {
                    LegacyImportanceQuantizer.quantize(e.type.dtype, row, 0, cols, e.importance, buf, o);
                    continue;
                }
                switch (e.type) {
                    case F32 -> MemorySegment.copy(row, 0, buf, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), o, cols);
                    case F16 -> F16Matrix.quantize(row, 0, cols, buf, o);
                    case Q8_0 -> Q8_0Matrix.quantize(row, 0, cols, buf, o);
                    case Q4_0 -> Q4_0Matrix.quantize(row, 0, cols, buf, o);
                    case Q4_1 -> Q4_1Matrix.quantize(row, 0, cols, buf, o);
                    case Q5_0 -> Q5_0Matrix.quantize(row, 0, cols, buf, o);
                    case Q5_1 -> Q5_1Matrix.quantize(row, 0, cols, buf, o);
                    case MXFP4 -> Mxfp4Matrix.quantize(row, 0, cols, buf, o);
                    case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> KQuantizer.quantize(e.type.dtype, row, 0, cols, e.importance, buf, o);
                    case IQ4_NL -> IQ4NLQuantizer.quantize(row, 0, cols, e.importance, buf, o);
                    default -> throw new IllegalStateException(e.type.toString());
                }
            }
            writeFully(ch, buf.asSlice(0, k * rowBytes).asByteBuffer());
        }
    }

    private long pad(FileChannel ch, long pos) throws IOException {
        int r = (int) (pos % alignment);
        if (r == 0) return pos;
        writeFully(ch, ByteBuffer.allocate(alignment - r));
        return pos + alignment - r;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private byte[] header() {
        Out o = new Out();
        o.u32(GgufFile.MAGIC);
        o.u32(3);
        o.u64(tensors.size());
        o.u64(metadata.size());
        metadata.forEach((k, v) -> { o.string(k); o.u32(v.type().id); o.value(v); });
        long offset = 0;
        for (Entry e : tensors) {
            o.string(e.name);
            o.u32(e.dims.length);
            for (long d : e.dims) o.u64(d);
            o.u32(e.type.id);
            o.u64(offset);
            offset += e.size;
            offset = (offset + alignment - 1) / alignment * alignment;
        }
        return o.bytes();
    }

    /** Little-endian encoder of header fields. */
    private static final class Out {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(byte v) { out.write(v); }
        void u16(short v) { b.clear(); b.putShort(v); out.write(b.array(), 0, 2); }
        void u32(int v) { b.clear(); b.putInt(v); out.write(b.array(), 0, 4); }
        void u64(long v) { b.clear(); b.putLong(v); out.write(b.array(), 0, 8); }
        void string(String s) { byte[] a = s.getBytes(StandardCharsets.UTF_8); u64(a.length); out.write(a, 0, a.length); }
        byte[] bytes() { return out.toByteArray(); }

        void value(GgufValue v) {
            switch (v.type()) {
                case UINT8, INT8 -> u8((Byte) v.value());
                case UINT16, INT16 -> u16((Short) v.value());
                case UINT32, INT32 -> u32((Integer) v.value());
                case UINT64, INT64 -> u64((Long) v.value());
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v.value()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v.value()));
                case BOOL -> u8((byte) ((Boolean) v.value() ? 1 : 0));
                case STRING -> string((String) v.value());
                case ARRAY -> array(v);
            }
        }

        private void array(GgufValue v) {
            u32(v.elementType().id);
            Object a = v.value();
            switch (v.elementType()) {
                case UINT8, INT8 -> { byte[] x = (byte[]) a; u64(x.length); out.write(x, 0, x.length); }
                case UINT16, INT16 -> { short[] x = (short[]) a; u64(x.length); for (short e : x) u16(e); }
                case UINT32, INT32 -> { int[] x = (int[]) a; u64(x.length); for (int e : x) u32(e); }
                case UINT64, INT64 -> { long[] x = (long[]) a; u64(x.length); for (long e : x) u64(e); }
                case FLOAT32 -> { float[] x = (float[]) a; u64(x.length); for (float e : x) u32(Float.floatToRawIntBits(e)); }
                case FLOAT64 -> { double[] x = (double[]) a; u64(x.length); for (double e : x) u64(Double.doubleToRawLongBits(e)); }
                case BOOL -> { boolean[] x = (boolean[]) a; u64(x.length); for (boolean e : x) u8((byte) (e ? 1 : 0)); }
                case STRING -> {
                    List<?> x = a instanceof String[] s ? List.of(s) : (List<?>) a;
                    u64(x.size());
                    for (int i = 0; i < x.size(); i++) {
                        if (x instanceof GgufStrings g) { byte[] b = g.bytes(i); u64(b.length); out.write(b, 0, b.length); }   // as read, byte for byte
                        else string((String) x.get(i));
                    }
                }
                case ARRAY -> { GgufValue[] x = (GgufValue[]) a; u64(x.length); for (GgufValue e : x) array(e); }
            }
        }
    }
}
