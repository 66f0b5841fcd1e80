package dev.actlab.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;

/**
 * The same BERT graph run by ONNX Runtime: the reference actlab's encoder is tested against and
 * the contender `actlab bench` and `actlab demo` time it against. Not used by the forward pass.
 */
public final class OnnxRuntimeEncoder implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxRuntimeEncoder(byte[] onnx, int threads) throws OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        this.session = env.createSession(onnx, opts);
    }

    /**
     * last_hidden_state [batch][maxLen][d] for sequences padded on the right with [PAD] = padId,
     * attention_mask 1 on real tokens, token_type_ids 0.
     */
    public float[][][] lastHiddenState(int[][] tokens, int padId) throws OrtException {
        int maxLen = 0;
        for (int[] t : tokens) maxLen = Math.max(maxLen, t.length);
        long[][] ids = new long[tokens.length][maxLen], mask = new long[tokens.length][maxLen], types = new long[tokens.length][maxLen];
        for (int b = 0; b < tokens.length; b++)
            for (int t = 0; t < maxLen; t++) {
                ids[b][t] = t < tokens[b].length ? tokens[b][t] : padId;
                mask[b][t] = t < tokens[b].length ? 1 : 0;
            }
        try (OnnxTensor i = OnnxTensor.createTensor(env, ids); OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor ty = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", ty))) {
            return (float[][][]) r.get(0).getValue();
        }
    }

    /** Sentence embeddings: the mean of last_hidden_state over each sequence's real tokens, L2-normalised (sentence-transformers' pooling). */
    public float[][] meanPooledNormalized(int[][] tokens, int padId) throws OrtException {
        float[][][] h = lastHiddenState(tokens, padId);
        float[][] e = new float[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            int d = h[b][0].length;
            double[] acc = new double[d];
            for (int t = 0; t < tokens[b].length; t++) for (int i = 0; i < d; i++) acc[i] += h[b][t][i];
            double norm = 0;
            for (int i = 0; i < d; i++) { acc[i] /= tokens[b].length; norm += acc[i] * acc[i]; }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            e[b] = new float[d];
            for (int i = 0; i < d; i++) e[b][i] = (float) (acc[i] / norm);
        }
        return e;
    }

    @Override public void close() throws OrtException { session.close(); }
}
