package dev.actlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.model.FormatException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal F32-only safetensors file (8-byte little-endian header length, JSON header naming
 * each tensor's dtype, shape and byte range, then the data), for training checkpoints. Readers
 * of the format (Hugging Face safetensors) open these files. A general writer belongs in
 * model/safetensors; this one only serves train/.
 */
public final class CheckpointFile {
    /** A tensor to write or one that was read. */
    public record Tensor(int[] shape, float[] values) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private CheckpointFile() {}

    /** Writes tensors in map order, plus string metadata under "__metadata__". */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (count(t.shape()) != t.values().length)
                throw new IllegalArgumentException(e.getKey() + ": shape holds " + count(t.shape()) + " values, array has " + t.values().length);
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", "F32");
            var shape = n.putArray("shape");
            for (int s : t.shape()) shape.add(s);
            n.putArray("data_offsets").add(offset).add(offset + 4L * t.values().length);
            offset += 4L * t.values().length;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;   // data starts 8-byte aligned; the format pads with spaces
        try (OutputStream os = Files.newOutputStream(file)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(padded);
            os.write(buf.array(), 0, 8);
            os.write(json);
            for (int i = json.length; i < padded; i++) os.write(' ');
            buf.clear();
            for (Tensor t : tensors.values())
                for (float v : t.values()) {
                    if (!buf.hasRemaining()) { os.write(buf.array(), 0, buf.position()); buf.clear(); }
                    buf.putFloat(v);
                }
            os.write(buf.array(), 0, buf.position());
        }
    }

    /** Reads every tensor (F32 only), checking each byte range against the file before allocating. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new FormatException(file, "header_size", 0, "file of " + size + " bytes is too short");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8)
                throw new FormatException(file, "header_size", 0, "header of " + headerLen + " bytes does not fit a file of " + size + " bytes");
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try { header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8)); }
            catch (IOException e) { throw new FormatException(file, "header", 8, "not JSON: " + e.getMessage()); }
            if (!header.isObject()) throw new FormatException(file, "header", 8, "is not a JSON object");
            long dataStart = 8 + headerLen, dataLen = size - dataStart;
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                if (name.equals("__metadata__")) continue;
                JsonNode n = e.getValue();
                if (!"F32".equals(n.path("dtype").asText()))
                    throw new FormatException(file, name + ".dtype", 8, "dtype " + n.path("dtype") + " is not F32");
                JsonNode sh = n.path("shape"), off = n.path("data_offsets");
                if (!sh.isArray() || !off.isArray() || off.size() != 2)
                    throw new FormatException(file, name, 8, "needs a shape array and two data_offsets");
                int[] shape = new int[sh.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sh.get(i).asInt(-1);
                    if (shape[i] < 0) throw new FormatException(file, name + ".shape", 8, "dimension " + sh.get(i) + " is not a size");
                }
                long begin = off.get(0).asLong(-1), end = off.get(1).asLong(-1);
                if (begin < 0 || end < begin || end > dataLen || end - begin > Integer.MAX_VALUE - 8)
                    throw new FormatException(file, name + ".data_offsets", 8, "[" + begin + ", " + end + ") is outside the " + dataLen + " data bytes");
                long n4 = count(shape);
                if (n4 * 4 != end - begin)
                    throw new FormatException(file, name + ".shape", dataStart + begin, "shape needs " + n4 * 4 + " bytes, the range has " + (end - begin));
                ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, data, dataStart + begin);
                float[] values = new float[(int) n4];
                data.flip().asFloatBuffer().get(values);
                out.put(name, new Tensor(shape, values));
            }
            return out;
        }
    }

    /** The "__metadata__" strings of a file written by {@link #write}. */
    public static Map<String, String> metadata(Path file) throws IOException {
        byte[] head = new byte[8];
        try (var in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 8) != 8) throw new FormatException(file, "header_size", 0, "file is too short");
            long len = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (len < 2 || len > MAX_HEADER || len > Files.size(file) - 8)
                throw new FormatException(file, "header_size", 0, "header of " + len + " bytes does not fit the file");
            JsonNode meta = JSON.readTree(in.readNBytes((int) len)).path("__metadata__");
            Map<String, String> out = new LinkedHashMap<>();
            meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            return out;
        }
    }

    private static long count(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file at " + pos);
            pos += r;
        }
    }
}
