package dev.actlab.model.safetensors;

import dev.actlab.io.AtomicFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.tensor.DType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file from float32 arrays, stored as F32, F16 or BF16 (round to nearest
 * even), and from int arrays as I32. The header JSON is padded with spaces to a multiple of 8 bytes so the data buffer is
 * aligned; the file is written to a temporary sibling and moved into place.
 */
public final class SafetensorsWriter {
    private record Entry(String name, DType dtype, float[] values, int[] ints, long[] shape) {   // ints: I32 tensors
        long elements() { return values != null ? values.length : ints.length; }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) { metadata.put(key, value); return this; }

    /** Adds a tensor; values.length must equal product(shape). */
    public SafetensorsWriter add(String name, DType dtype, float[] values, long... shape) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16)
            throw new IllegalArgumentException("safetensors writer stores F32, F16 or BF16, not " + dtype);
        return add(new Entry(name, dtype, values, null, shape.clone()));
    }

    /** Adds an I32 tensor (token ids, offsets); values.length must equal product(shape). */
    public SafetensorsWriter addI32(String name, int[] values, long... shape) {
        return add(new Entry(name, DType.I32, null, values, shape.clone()));
    }

    private SafetensorsWriter add(Entry e) {
        if (e.name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is not a tensor name");
        long n = 1;
        for (long d : e.shape) n *= d;
        if (n != e.elements()) throw new IllegalArgumentException("tensor " + e.name + ": " + e.elements() + " values for shape " + java.util.Arrays.toString(e.shape));
        for (Entry x : entries) if (x.name.equals(e.name)) throw new IllegalArgumentException("tensor " + e.name + " added twice");
        entries.add(e);
        return this;
    }

    public SafetensorsWriter addF32(String name, float[] values, long... shape) { return add(name, DType.F32, values, shape); }

    public void write(Path out) throws IOException {
        ObjectNode header = new ObjectMapper().createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode s = t.putArray("shape");
            for (long d : e.shape) s.add(d);
            long bytes = e.elements() * e.dtype.blockBytes;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path tmp = AtomicFile.temporarySibling(out);
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE), 1 << 16)) {
                os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                os.write(headerBytes);
                for (Entry e : entries) writeValues(os, e);
            }
            AtomicFile.commit(tmp, out);   // fsync, rename, fsync of the directory
        } finally {
            AtomicFile.discard(tmp);       // nothing left when writing or the rename failed; a no-op after it
        }
    }

    private static void writeValues(OutputStream os, Entry e) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        if (e.ints != null) {
            for (int v : e.ints) {
                if (b.remaining() < 4) { os.write(b.array(), 0, b.position()); b.clear(); }
                b.putInt(v);
            }
            os.write(b.array(), 0, b.position());
            return;
        }
        for (float v : e.values) {
            if (b.remaining() < 4) { os.write(b.array(), 0, b.position()); b.clear(); }
            switch (e.dtype) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(Float.floatToFloat16(v));
                default -> b.putShort(toBf16(v));
            }
        }
        os.write(b.array(), 0, b.position());
    }

    /** float32 to bfloat16, rounding to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
