package dev.actlab.model.llama2c;

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
import java.nio.file.StandardCopyOption;

/**
 * Writes a model as a llama2.c checkpoint (the layout {@link Llama2cReader} reads), so the C
 * original can run the very weights actlab runs. Includes the legacy RoPE tables
 * (cos / sin of pos * freq, [seq_len, head_size / 2] each) that older run.c versions read.
 * Written to a temporary file beside the target, then moved into place.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    public static void write(LlamaModel model, Path target) throws IOException {
        LlamaConfig c = model.config();
        LlamaWeights w = model.weights();
        if (c.ropeHalfSplit() || c.ropeScaling() != null || w.qBias() != null || c.ropeTheta() != 10000f || c.normEps() != 1e-5f)
            throw new IllegalArgumentException("llama2.c checkpoints hold only adjacent-pair RoPE with theta 10000, eps 1e-5 and no biases; " + model.source() + " does not fit");
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".part");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            Sink out = new Sink(os);
            int[] header = {c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                    c.tiedEmbeddings() ? c.vocabSize() : -c.vocabSize(), c.contextLength()};
            for (int h : header) out.i32(h);
            out.matrix(w.tokenEmbedding());
            for (float[] v : w.attnNorm()) out.floats(v);
            for (WeightMatrix m : w.wq()) out.matrix(m);
            for (WeightMatrix m : w.wk()) out.matrix(m);
            for (WeightMatrix m : w.wv()) out.matrix(m);
            for (WeightMatrix m : w.wo()) out.matrix(m);
            for (float[] v : w.ffnNorm()) out.floats(v);
            for (WeightMatrix m : w.wGate()) out.matrix(m);
            for (WeightMatrix m : w.wDown()) out.matrix(m);
            for (WeightMatrix m : w.wUp()) out.matrix(m);
            out.floats(w.finalNorm());
            int half = c.headSize() / 2;
            for (int part = 0; part < 2; part++)   // freq_cis_real, then freq_cis_imag
                for (int pos = 0; pos < c.contextLength(); pos++)
                    for (int i = 0; i < half; i++) {
                        double angle = pos * Math.pow(c.ropeTheta(), -2.0 * i / c.headSize());
                        out.f32((float) (part == 0 ? Math.cos(angle) : Math.sin(angle)));
                    }
            out.flush();
            if (!c.tiedEmbeddings()) out.matrix(w.output());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Little-endian values through one reusable buffer. */
    private static final class Sink {
        final OutputStream os;
        final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        float[] row = new float[0];
        Sink(OutputStream os) { this.os = os; }

        void flushIfFull() throws IOException {
            if (buf.remaining() < 4) { os.write(buf.array(), 0, buf.position()); buf.clear(); }
        }
        void i32(int v) throws IOException { flushIfFull(); buf.putInt(v); flush(); }
        void f32(float v) throws IOException { flushIfFull(); buf.putFloat(v); }
        void floats(float[] v) throws IOException { for (float f : v) f32(f); flush(); }
        void matrix(WeightMatrix m) throws IOException {
            if (row.length < m.cols()) row = new float[m.cols()];
            for (int r = 0; r < m.rows(); r++) {
                m.dequantizeRow(r, row, 0);
                for (int i = 0; i < m.cols(); i++) f32(row[i]);
            }
            flush();
        }
        void flush() throws IOException { os.write(buf.array(), 0, buf.position()); buf.clear(); }
    }
}
