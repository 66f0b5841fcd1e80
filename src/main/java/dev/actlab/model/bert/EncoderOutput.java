package dev.actlab.model.bert;

/**
 * Last hidden states of a packed batch: sequence b owns rows [offsets[b], offsets[b] + lengths[b])
 * of hidden [rows, d] - no padding rows.
 */
public record EncoderOutput(float[] hidden, int[] offsets, int[] lengths, int dModel) {
    public int batch() { return offsets.length; }

    /** Hidden state of token t of sequence b: a copy of [d]. */
    public float[] row(int b, int t) {
        if (t < 0 || t >= lengths[b]) throw new IndexOutOfBoundsException("token " + t + " of sequence " + b + " (length " + lengths[b] + ")");
        float[] out = new float[dModel];
        System.arraycopy(hidden, (offsets[b] + t) * dModel, out, 0, dModel);
        return out;
    }

    /**
     * Sentence embedding of sequence b: the mean over its tokens (every token is attended - padding
     * does not exist here), then L2-normalised, as sentence-transformers and LangChain4j do.
     */
    public float[] meanPooledNormalized(int b) {
        float[] m = new float[dModel];
        double[] acc = new double[dModel];
        for (int t = 0; t < lengths[b]; t++)
            for (int i = 0; i < dModel; i++) acc[i] += hidden[(offsets[b] + t) * dModel + i];
        double norm = 0;
        for (int i = 0; i < dModel; i++) { acc[i] /= lengths[b]; norm += acc[i] * acc[i]; }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        for (int i = 0; i < dModel; i++) m[i] = (float) (acc[i] / norm);
        return m;
    }
}
