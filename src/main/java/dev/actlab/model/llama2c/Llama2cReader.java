package dev.actlab.model.llama2c;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a llama2.c checkpoint: seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size — negative when the classifier is not tied — and seq_len), then float32 tensors.
 * Weights stay memory-mapped.
 */
public final class Llama2cReader {
    private static final String[] HEADER = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};

    /** Files without a GGUF magic are read as llama2.c, the one format without a magic: say so when that fails. */
    private static final String NOT_RECOGNIZED = " (not a GGUF file either: is this a model file? actlab reads GGUF, llama2.c checkpoints and Hugging Face directories)";

    private Llama2cReader() {}

    public static LlamaModel read(Path path) throws IOException { return read(MappedFile.open(path)); }

    /** Reads from an already mapped (or in-memory) file. */
    public static LlamaModel read(MappedFile f) throws FormatException {
        Path path = f.path();
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = f.i32("header." + HEADER[i], i * 4L);
        boolean tied = h[5] > 0;
        int vocab = Math.abs(h[5]);
        for (int i = 0; i < 7; i++)
            if (h[i] == 0 || (i != 5 && h[i] < 0)) throw new FormatException(path, "header." + HEADER[i], i * 4L, "value " + h[i] + " is not a positive size" + NOT_RECOGNIZED);
        LlamaConfig c;
        try {
            c = new LlamaConfig("llama2.c", h[0], h[1], h[2], h[3], h[4], vocab, h[6], 1e-5f, 10000f, false, null, tied);
        } catch (IllegalArgumentException e) {
            throw new FormatException(path, "header", 0, e.getMessage() + NOT_RECOGNIZED);
        }
        int dim = c.dim(), hidden = c.hiddenDim(), L = c.layers(), kvDim = c.kvDim(), hs = c.headSize();
        // total size first, so a corrupt header cannot make us allocate or map beyond the file
        long expected = 28L + 4L * ((long) vocab * dim + 2L * L * dim + (long) L * dim * dim * 2 + 2L * L * dim * kvDim
                + 3L * L * dim * hidden + dim + (long) c.contextLength() * hs + (tied ? 0 : (long) vocab * dim));
        if (f.size() != expected)
            throw new FormatException(path, "tensors", 28, "the header implies a file of " + expected + " bytes but it has " + f.size());

        long[] off = {28};
        WeightMatrix embed = matrix(f, "token_embedding_table", off, vocab, dim);
        float[][] attnNorm = vectors(f, "rms_att_weight", off, L, dim);
        WeightMatrix[] wq = matrices(f, "wq", off, L, c.qDim(), dim);
        WeightMatrix[] wk = matrices(f, "wk", off, L, kvDim, dim);
        WeightMatrix[] wv = matrices(f, "wv", off, L, kvDim, dim);
        WeightMatrix[] wo = matrices(f, "wo", off, L, dim, c.qDim());
        float[][] ffnNorm = vectors(f, "rms_ffn_weight", off, L, dim);
        WeightMatrix[] w1 = matrices(f, "w1", off, L, hidden, dim);
        WeightMatrix[] w2 = matrices(f, "w2", off, L, dim, hidden);
        WeightMatrix[] w3 = matrices(f, "w3", off, L, hidden, dim);
        float[] finalNorm = finite(f, "rms_final_weight", off[0], f.floats("rms_final_weight", off[0], dim));
        off[0] += 4L * dim;
        off[0] += 4L * c.contextLength() * hs;   // legacy freq_cis_real and freq_cis_imag, unused
        WeightMatrix cls = tied ? embed : matrix(f, "wcls", off, vocab, dim);
        LlamaWeights w = new LlamaWeights(embed, attnNorm, wq, wk, wv, wo, null, null, null, ffnNorm, w1, w2, w3, finalNorm, cls);
        return new LlamaModel(c, w, null, path.toString());
    }

    private static WeightMatrix matrix(MappedFile f, String name, long[] off, int rows, int cols) throws FormatException {
        long bytes = 4L * rows * cols;
        WeightMatrix m = new F32Matrix(f.slice(name, off[0], bytes), rows, cols);
        off[0] += bytes;
        return m;
    }

    private static WeightMatrix[] matrices(MappedFile f, String name, long[] off, int layers, int rows, int cols) throws FormatException {
        WeightMatrix[] out = new WeightMatrix[layers];
        for (int l = 0; l < layers; l++) out[l] = matrix(f, name + "[" + l + "]", off, rows, cols);
        return out;
    }

    private static float[][] vectors(MappedFile f, String name, long[] off, int layers, int n) throws FormatException {
        float[][] out = new float[layers][];
        for (int l = 0; l < layers; l++) { out[l] = finite(f, name + "[" + l + "]", off[0], f.floats(name + "[" + l + "]", off[0], n)); off[0] += 4L * n; }
        return out;
    }

    /** Norm weights are small: a NaN or infinity in one is a FormatException here (matrices are checked at the logits). */
    private static float[] finite(MappedFile f, String name, long at, float[] v) throws FormatException {
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i])) throw new FormatException(f.path(), name + "[" + i + "]", at + 4L * i, "is " + v[i] + ", not a finite number");
        return v;
    }
}
