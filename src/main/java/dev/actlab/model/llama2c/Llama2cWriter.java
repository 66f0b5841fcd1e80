package dev.actlab.model.llama2c;

import dev.actlab.io.AtomicFile;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.WeightMatrix;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a Llama model as a llama2.c checkpoint (the layout {@link Llama2cReader} reads and
 * run.c runs): seven int32 header fields, then the float32 tensors, including the legacy RoPE
 * tables (cos and sin of pos * theta^(-2i/head_size)). Written to a temporary file, then moved.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    public static void write(LlamaModel model, Path target) throws IOException {
        LlamaConfig c = model.config();
        LlamaWeights w = model.weights();
        if (w.qBias() != null || c.ropeHalfSplit() || c.ropeScaling() != null || c.ropeTheta() != 10000f || c.normEps() != 1e-5f)
            throw new IllegalArgumentException("the llama2.c format holds no biases, RoPE variants, theta other than 10000 or eps other than 1e-5");
        Path tmp = AtomicFile.temporarySibling(target);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.layers()).putInt(c.heads()).putInt(c.kvHeads())
             .putInt(c.tiedEmbeddings() ? c.vocabSize() : -c.vocabSize()).putInt(c.contextLength());
            os.write(b.array());
            int L = c.layers();
            matrix(os, w.tokenEmbedding());
            for (int l = 0; l < L; l++) floats(os, w.attnNorm()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wq()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wk()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wv()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wo()[l]);
            for (int l = 0; l < L; l++) floats(os, w.ffnNorm()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wGate()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wDown()[l]);
            for (int l = 0; l < L; l++) matrix(os, w.wUp()[l]);
            floats(os, w.finalNorm());
            int half = c.headSize() / 2;
            float[] re = new float[c.contextLength() * half], im = new float[re.length];
            for (int pos = 0; pos < c.contextLength(); pos++)
                for (int i = 0; i < half; i++) {
                    float angle = pos * (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headSize()));
                    re[pos * half + i] = (float) Math.cos(angle);
                    im[pos * half + i] = (float) Math.sin(angle);
                }
            floats(os, re);
            floats(os, im);
            if (!c.tiedEmbeddings()) matrix(os, w.output());
        } catch (IOException | RuntimeException e) {
            AtomicFile.discard(tmp);
            throw e;
        }
        try {
            AtomicFile.commit(tmp, target);   // fsync, rename, fsync of the directory
        } finally {
            AtomicFile.discard(tmp);          // nothing left when the rename failed; a no-op after it
        }
    }

    private static void matrix(OutputStream os, WeightMatrix m) throws IOException {
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) { m.dequantizeRow(r, row, 0); floats(os, row); }
    }

    private static void floats(OutputStream os, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        os.write(b.array());
    }
}
