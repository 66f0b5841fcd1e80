package dev.actlab.model.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX ModelProto that a weight reader needs: the graph's nodes (in their
 * topological order), its initializers, and its input and output names. A minimal hand-written
 * protobuf reader over the file's bytes: only the fields below are decoded, everything else is
 * skipped. Field numbers are those of onnx.proto3:
 * ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11, output = 12;
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4; ValueInfoProto.name = 1;
 * TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9, data_location = 14.
 */
public final class OnnxModel {
    private final Path file;
    private final byte[] bytes;
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
    private final List<String> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();

    private OnnxModel(Path file, byte[] bytes) { this.file = file; this.bytes = bytes; }

    /** Parses a model held in memory; file names the source in error messages. */
    public static OnnxModel parse(Path file, byte[] bytes) throws FormatException {
        OnnxModel m = new OnnxModel(file, bytes);
        m.readModel();
        if (m.nodes.isEmpty() && m.initializers.isEmpty())
            throw new FormatException(file, "ModelProto.graph", 0, "no graph with nodes or initializers (not an ONNX model?)");
        return m;
    }

    public Path file() { return file; }
    public List<OnnxNode> nodes() { return nodes; }
    public Map<String, OnnxTensor> initializers() { return initializers; }
    public List<String> graphInputs() { return inputs; }
    public List<String> graphOutputs() { return outputs; }

    /** The values of a float32 initializer, checked against its declared shape. */
    public float[] floats(OnnxTensor t) throws FormatException {
        if (t.dataType() != OnnxTensor.FLOAT)
            throw new FormatException(file, "initializer '" + t.name() + "'.data_type", t.protoOffset(), "is " + t.dataType() + ", expected 1 (FLOAT)");
        long n = t.elements();
        if (t.dataOffset() < 0 || n > Integer.MAX_VALUE || t.dataBytes() != n * 4)
            throw new FormatException(file, "initializer '" + t.name() + "'.raw_data", t.dataOffset(),
                    "holds " + t.dataBytes() + " bytes, shape " + t.shape() + " needs " + n * 4);
        float[] out = new float[(int) n];
        ByteBuffer.wrap(bytes, (int) t.dataOffset(), (int) t.dataBytes()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** The values of an int64 tensor stored as raw_data (shape constants). */
    public long[] longs(OnnxTensor t) throws FormatException {
        if (t.dataType() != OnnxTensor.INT64)
            throw new FormatException(file, "tensor '" + t.name() + "'.data_type", t.protoOffset(), "is " + t.dataType() + ", expected 7 (INT64)");
        long n = t.elements();
        if (t.dataOffset() < 0 || t.dataBytes() != n * 8)
            throw new FormatException(file, "tensor '" + t.name() + "'.raw_data", t.protoOffset(), "holds " + t.dataBytes() + " bytes, shape " + t.shape() + " needs " + n * 8);
        long[] out = new long[(int) n];
        ByteBuffer.wrap(bytes, (int) t.dataOffset(), (int) t.dataBytes()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    // ---- protobuf walking: each message is a byte range [start, end) of the file ----

    private void readModel() throws FormatException {
        Reader r = new Reader("ModelProto", 0, bytes.length);
        while (r.more()) {
            int tag = r.tag();
            if (WireFormat.getTagFieldNumber(tag) == 7 && lengthDelimited(tag)) { long[] g = r.span("ModelProto.graph"); readGraph(g[0], g[1]); }
            else r.skip(tag);
        }
    }

    private void readGraph(long start, long end) throws FormatException {
        Reader r = new Reader("GraphProto", start, end);
        while (r.more()) {
            int tag = r.tag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (!lengthDelimited(tag)) { r.skip(tag); continue; }
            switch (field) {
                case 1 -> { long[] s = r.span("GraphProto.node"); nodes.add(readNode(s[0], s[1])); }
                case 5 -> {
                    long[] s = r.span("GraphProto.initializer");
                    OnnxTensor t = readTensor(s[0], s[1]);
                    if (initializers.put(t.name(), t) != null)
                        throw new FormatException(file, "GraphProto.initializer", s[0], "duplicate initializer name '" + t.name() + "'");
                }
                case 11 -> { long[] s = r.span("GraphProto.input"); inputs.add(readValueInfoName(s[0], s[1])); }
                case 12 -> { long[] s = r.span("GraphProto.output"); outputs.add(readValueInfoName(s[0], s[1])); }
                default -> r.skip(tag);
            }
        }
    }

    private OnnxNode readNode(long start, long end) throws FormatException {
        Reader r = new Reader("NodeProto", start, end);
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        Map<String, OnnxTensor> attrs = new LinkedHashMap<>();
        String name = "", op = "";
        while (r.more()) {
            int tag = r.tag();
            if (!lengthDelimited(tag)) { r.skip(tag); continue; }
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> in.add(r.string("NodeProto.input"));
                case 2 -> out.add(r.string("NodeProto.output"));
                case 3 -> name = r.string("NodeProto.name");
                case 4 -> op = r.string("NodeProto.op_type");
                case 5 -> { long[] s = r.span("NodeProto.attribute"); readTensorAttribute(s[0], s[1], attrs); }
                default -> r.skip(tag);
            }
        }
        if (op.isEmpty()) throw new FormatException(file, "NodeProto.op_type", start, "node '" + name + "' has no op_type");
        return new OnnxNode(name, op, List.copyOf(in), List.copyOf(out), Map.copyOf(attrs));
    }

    /** AttributeProto: name = 1, t = 5; only tensor-valued attributes are kept. */
    private void readTensorAttribute(long start, long end, Map<String, OnnxTensor> into) throws FormatException {
        Reader r = new Reader("AttributeProto", start, end);
        String name = "";
        OnnxTensor t = null;
        while (r.more()) {
            int tag = r.tag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && lengthDelimited(tag)) name = r.string("AttributeProto.name");
            else if (field == 5 && lengthDelimited(tag)) { long[] s = r.span("AttributeProto.t"); t = readTensor(s[0], s[1]); }
            else r.skip(tag);
        }
        if (t != null) into.put(name, t);
    }

    private String readValueInfoName(long start, long end) throws FormatException {
        Reader r = new Reader("ValueInfoProto", start, end);
        String name = "";
        while (r.more()) {
            int tag = r.tag();
            if (WireFormat.getTagFieldNumber(tag) == 1 && lengthDelimited(tag)) name = r.string("ValueInfoProto.name");
            else r.skip(tag);
        }
        return name;
    }

    private OnnxTensor readTensor(long start, long end) throws FormatException {
        Reader r = new Reader("TensorProto", start, end);
        List<Long> dims = new ArrayList<>();
        String name = "";
        int dataType = 0;
        long dataOffset = -1, dataBytes = 0;
        while (r.more()) {
            int tag = r.tag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> {
                    if (lengthDelimited(tag)) { long[] s = r.span("TensorProto.dims"); readPackedVarints(s[0], s[1], dims); }
                    else dims.add(r.varint64("TensorProto.dims"));
                }
                case 2 -> dataType = (int) r.varint64("TensorProto.data_type");
                case 8 -> name = r.string("TensorProto.name");
                case 4, 9 -> {   // packed float_data or raw_data: both little-endian float bytes for FLOAT
                    if (!lengthDelimited(tag)) throw new FormatException(file, "TensorProto.float_data", r.offset(), "unpacked float_data is not supported");
                    long[] s = r.span(field == 4 ? "TensorProto.float_data" : "TensorProto.raw_data");
                    dataOffset = s[0]; dataBytes = s[1] - s[0];
                }
                case 14 -> {
                    long loc = r.varint64("TensorProto.data_location");
                    if (loc != 0) throw new FormatException(file, "TensorProto.data_location", r.offset(), "external data is not supported");
                }
                default -> r.skip(tag);
            }
        }
        long[] d = new long[dims.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = dims.get(i);
            if (d[i] < 0) throw new FormatException(file, "initializer '" + name + "'.dims", start, "negative dimension " + d[i]);
        }
        return new OnnxTensor(name, d, dataType, dataOffset, dataBytes, start);
    }

    private void readPackedVarints(long start, long end, List<Long> out) throws FormatException {
        Reader r = new Reader("TensorProto.dims", start, end);
        while (r.more()) out.add(r.varint64("TensorProto.dims"));
    }

    private static boolean lengthDelimited(int tag) { return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED; }

    /** A cursor over one message's bytes that reports the absolute file offset of every failure. */
    private final class Reader {
        private final String message;
        private final long start, end;
        private final CodedInputStream in;

        Reader(String message, long start, long end) {
            this.message = message; this.start = start; this.end = end;
            this.in = CodedInputStream.newInstance(bytes, (int) start, (int) (end - start));
        }

        long offset() { return start + in.getTotalBytesRead(); }

        boolean more() throws FormatException {
            try { return !in.isAtEnd(); } catch (IOException e) { throw fail(message, e); }
        }

        int tag() throws FormatException {
            long at = offset();
            try {
                int tag = in.readTag();
                if (tag == 0) throw new FormatException(file, message + " tag", at, "invalid tag 0");
                return tag;
            } catch (FormatException e) { throw e; } catch (IOException e) { throw fail(message + " tag", e); }
        }

        long varint64(String field) throws FormatException {
            try { return in.readRawVarint64(); } catch (IOException e) { throw fail(field, e); }
        }

        /** A length-delimited field: its [start, end) in file offsets, skipped over. */
        long[] span(String field) throws FormatException {
            long at = offset();
            try {
                int len = in.readRawVarint32();
                long from = offset();
                if (len < 0 || from + len > end)
                    throw new FormatException(file, field, at, "length " + len + " runs past the end of its message (truncated or corrupt)");
                in.skipRawBytes(len);
                return new long[]{from, from + len};
            } catch (FormatException e) { throw e; } catch (IOException e) { throw fail(field, e); }
        }

        String string(String field) throws FormatException {
            long[] s = span(field);
            return new String(bytes, (int) s[0], (int) (s[1] - s[0]), java.nio.charset.StandardCharsets.UTF_8);
        }

        void skip(int tag) throws FormatException {
            try {
                if (!in.skipField(tag)) throw new FormatException(file, message, offset(), "unexpected end-group tag");
            } catch (FormatException e) { throw e; } catch (IOException e) { throw fail(message + " field " + WireFormat.getTagFieldNumber(tag), e); }
        }

        private FormatException fail(String field, IOException e) {
            return new FormatException(file, field, offset(), "malformed protobuf (" + e.getMessage() + ")");
        }
    }
}
