package dev.actlab.model.gguf;

/**
 * A tensor's entry in the GGUF header.
 *
 * @param dims        ggml order: dims[0] is the innermost (contiguous) dimension, so a matrix
 *                    W [rows, cols] has dims {cols, rows}
 * @param fileOffset  absolute byte offset of the data in the file
 * @param byteSize    bytes of data
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long fileOffset, long byteSize) {
    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public String shape() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) b.append(i == 0 ? "" : ", ").append(dims[i]);
        return b.append("]").toString();
    }
}
