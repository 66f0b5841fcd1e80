package dev.actlab.model.onnx;

/**
 * One initializer of an ONNX graph: its name, shape and where its values are. The values stay in
 * the file's bytes (raw_data, little-endian) until {@link OnnxModel#floats} reads them.
 *
 * @param dataType   TensorProto.DataType (1 = FLOAT, 7 = INT64, ...)
 * @param dataOffset byte offset of raw_data or packed float_data in the file, or -1 when empty
 * @param dataBytes  length of that data in bytes
 * @param protoOffset byte offset of the TensorProto itself (for error messages)
 */
public record OnnxTensor(String name, long[] dims, int dataType, long dataOffset, long dataBytes, long protoOffset) {
    public static final int FLOAT = 1, INT64 = 7;

    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public int rank() { return dims.length; }

    public String shape() { return java.util.Arrays.toString(dims); }
}
