package dev.actlab.model.bert;

/**
 * The activation buffers of one forward pass ([N, d] and [N, d_mlp]), kept by the calling thread
 * and reused while N stays the same: a 32 x 128 batch allocated and zeroed ~60 MB of them per call
 * (large arrays, each a fresh region for the collector). Every buffer is fully written before it is
 * read in a pass, so reuse changes no value. The hidden states a pass returns are never here.
 * A pass that starts while this thread's workspace is in use (a hook that runs the model) gets fresh buffers.
 */
final class EncoderWorkspace {
    final int n;
    final float[] q, k, v, z, attnOut, mlp, mlpOut, pos, type;
    final W8A8Input int8Input = new W8A8Input();
    boolean inUse;

    EncoderWorkspace(int n, int d, int dMlp) {
        this.n = n;
        q = new float[n * d]; k = new float[n * d]; v = new float[n * d]; z = new float[n * d];
        attnOut = new float[n * d]; mlp = new float[n * dMlp]; mlpOut = new float[n * d];
        pos = new float[n * d]; type = new float[n * d];
    }
}
