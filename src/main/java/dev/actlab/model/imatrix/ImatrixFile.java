package dev.actlab.model.imatrix;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's legacy importance-matrix file (what {@code llama-imatrix --output-format dat} writes and
 * {@code llama-quantize --imatrix} reads), all integers int32 little-endian:
 * <pre>
 *   entries
 *   per entry: name length, name (UTF-8, the GGUF tensor name, e.g. blk.0.ffn_down.weight),
 *              calls, values count n, n float32 (= calls x mean over tokens of x_j^2, x the matmul's input)
 *   chunks, dataset name length, dataset name
 * </pre>
 * Entries are kept in file order (llama-imatrix sorts them by name).
 */
public final class ImatrixFile {

    /** One matrix: values[j] = calls x mean over tokens of x_j^2 (column j of the weight's input). */
    public record Entry(String name, int calls, float[] values) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final int chunks;
    private final String dataset;
    private final boolean hasDataset;   // false for an old file that ends after its entries

    private final Map<String, Long> valueCountOffsets = new java.util.HashMap<>();   // of files read: where each entry's value count is

    public ImatrixFile(List<Entry> entries, int chunks, String dataset) { this(entries, chunks, dataset, true); }

    private ImatrixFile(List<Entry> entries, int chunks, String dataset, boolean hasDataset) {
        this.hasDataset = hasDataset;
        for (Entry e : entries)
            if (this.entries.put(e.name(), e) != null) throw new IllegalArgumentException("two entries named " + e.name());
        this.chunks = chunks;
        this.dataset = dataset;
    }

    public List<Entry> entries() { return Collections.unmodifiableList(new ArrayList<>(entries.values())); }

    /** The chunks of context the statistics were collected over. */
    public int chunks() { return chunks; }

    /** The input file name recorded by the writer. */
    public String dataset() { return dataset; }

    /** Whether the file records its chunk count and dataset name (files before that end after the entries). */
    public boolean hasDataset() { return hasDataset; }

    /** The byte offset of an entry's value count in the file it was read from, or -1. */
    public long valueCountOffset(String tensorName) { return valueCountOffsets.getOrDefault(tensorName, -1L); }

    /** The entry of a tensor, or null. */
    public Entry entry(String tensorName) { return entries.get(tensorName); }

    /**
     * Per-column importance of a weight: the mean over tokens of x_j^2 (values / calls, in float, as
     * llama-quantize divides them before handing them to its quantizers), or null when the file has no
     * entry for that tensor.
     */
    public float[] importance(String tensorName) {
        Entry e = entries.get(tensorName);
        if (e == null) return null;
        float[] v = e.values().clone();
        if (e.calls() > 0) for (int i = 0; i < v.length; i++) v[i] /= e.calls();
        return v;
    }

    /** Writes the file atomically (temp file, then move). */
    public void write(Path file) throws IOException {
        AtomicFile.writeBytes(file, toBytes());
    }

    byte[] toBytes() {
        byte[] ds = dataset.getBytes(StandardCharsets.UTF_8);
        long size = 4 + 4 + 4 + ds.length;
        for (Entry e : entries.values()) size += 12 + e.name().getBytes(StandardCharsets.UTF_8).length + 4L * e.values().length;
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("imatrix of " + size + " bytes is too large to write");
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(entries.size());
        for (Entry e : entries.values()) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            b.putInt(name.length).put(name).putInt(e.calls()).putInt(e.values().length);
            for (float v : e.values()) b.putFloat(v);
        }
        b.putInt(chunks).putInt(ds.length).put(ds);
        return b.array();
    }

    /**
     * Reads a legacy imatrix file. Every count is checked against the bytes left before anything is
     * allocated; a short, damaged or foreign file is a FormatException naming the field and offset.
     * The trailing chunk count and dataset name are optional (old files end after the entries).
     */
    public static ImatrixFile read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE) throw new FormatException(file, "file", 0, size + " bytes is larger than any imatrix file actlab reads (2 GB)");
        Reader r = new Reader(file, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN));
        int n = r.count("entries", 12);
        if (n == 0) throw new FormatException(file, "entries", 0, "is 0: the file holds no matrix");
        List<Entry> entries = new ArrayList<>(n);
        Map<String, Long> offsets = new java.util.HashMap<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            String name = r.string("entry[" + i + "].name");
            long at = r.b.position();
            if (!seen.add(name)) throw new FormatException(file, "entry[" + i + "].name", at, "'" + name + "' appears twice");
            int calls = r.b.remaining() >= 4 ? r.b.getInt() : r.fail("entry[" + i + "].calls", "file ends here");
            if (calls < 0) throw new FormatException(file, "entry[" + i + "].calls", at, "is negative (" + calls + ")");
            offsets.put(name, (long) r.b.position());
            int nval = r.count("entry[" + i + "].values", 4);
            if (nval == 0) throw new FormatException(file, "entry[" + i + "].values", r.b.position() - 4, "is 0 for " + name);
            float[] v = new float[nval];
            r.b.asFloatBuffer().get(v);
            r.b.position(r.b.position() + 4 * nval);
            entries.add(new Entry(name, calls, v));
        }
        int chunks = 0;
        String dataset = "";
        boolean trailer = r.b.hasRemaining();
        if (trailer) {
            chunks = r.b.remaining() >= 4 ? r.b.getInt() : r.fail("chunks", "file ends inside it");
            if (chunks < 0) throw new FormatException(file, "chunks", r.b.position() - 4, "is negative (" + chunks + ")");
            dataset = r.string("dataset");
            if (r.b.hasRemaining()) throw new FormatException(file, "(end)", r.b.position(), r.b.remaining() + " bytes follow the dataset name");
        }
        ImatrixFile f = new ImatrixFile(entries, chunks, dataset, trailer);
        f.valueCountOffsets.putAll(offsets);
        return f;
    }

    /** Bounds-checked reads over the whole file. */
    private record Reader(Path file, ByteBuffer b) {
        /** An int32 count of items of itemBytes each, checked against the bytes left. */
        int count(String field, int itemBytes) throws FormatException {
            long at = b.position();
            if (b.remaining() < 4) fail(field, "file ends here");
            int n = b.getInt();
            if (n < 0) throw new FormatException(file, field, at, "count is negative (" + n + ")");
            if ((long) n * itemBytes > b.remaining())
                throw new FormatException(file, field, at, "count " + n + " needs " + (long) n * itemBytes + " bytes, only " + b.remaining() + " left");
            return n;
        }

        String string(String field) throws FormatException {
            int len = count(field + " length", 1);
            byte[] s = new byte[len];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }

        int fail(String field, String problem) throws FormatException {
            throw new FormatException(file, field, b.position(), problem);
        }
    }
}
