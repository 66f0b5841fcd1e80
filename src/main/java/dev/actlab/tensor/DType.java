package dev.actlab.tensor;

/**
 * Element types of weights and activations. Block formats store {@code blockSize} elements in
 * {@code blockBytes} bytes, laid out exactly as llama.cpp's ggml does.
 */
public enum DType {
    F32(1, 4), F16(1, 2), BF16(1, 2),
    Q8_0(32, 34), Q4_0(32, 18), Q4_1(32, 20),
    Q5_0(32, 22), Q5_1(32, 24), MXFP4(32, 17),
    Q4_K(256, 144), Q5_K(256, 176), Q6_K(256, 210),
    Q2_K(256, 84), Q3_K(256, 110), IQ4_NL(32, 18),
    I8(1, 1), I32(1, 4);

    public final int blockSize;
    public final int blockBytes;

    DType(int blockSize, int blockBytes) { this.blockSize = blockSize; this.blockBytes = blockBytes; }

    /** Bytes needed for {@code elements} elements; elements must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0)
            throw new IllegalArgumentException(name() + " needs a multiple of " + blockSize + " elements, got " + elements);
        return elements / blockSize * blockBytes;
    }
}
