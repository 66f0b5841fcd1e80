package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.Softmax;

/** Softmax cross-entropy over the vocabulary, averaged over positions. */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * probs [N, V] = softmax(logits [N, V]) (saved for backward), losses [N] = -log probs[n, target[n]];
     * returns the mean loss, summed in position order. probs may be logits: the softmax then
     * overwrites them row by row (no second [N, V] array streamed through the caches).
     */
    public static float forward(float[] probs, float[] losses, float[] logits, int[] targets, int n, int v, Parallel par) {
        par.forRange(n, 4, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * v;
                float target = logits[o + targets[t]];   // read before an in-place softmax overwrites it
                float max = Softmax.max(logits, o, v);
                float sum = Softmax.expShifted(logits, probs, o, v, max);
                Softmax.scale(probs, o, v, 1f / sum);
                // log-sum-exp form: exact even when the target's probability underflows
                losses[t] = (float) (Math.log(sum) + max - target);
            }
        });
        double total = 0;
        for (int t = 0; t < n; t++) total += losses[t];
        return (float) (total / n);
    }

    /**
     * dLogits [N, V] = (probs - onehot(target)) * dLoss / N, overwriting dLogits: {@link #backward} into a
     * cleared array without the clearing pass. dLogits may be probs (in place, element by element).
     */
    public static void backwardInto(float[] dLogits, float[] probs, int[] targets, int n, int v, float dLoss, Parallel par) {
        float scale = dLoss / n;
        par.forRange(n, 4, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * v;
                for (int i = 0; i < v; i++) dLogits[o + i] = 0f + probs[o + i] * scale;   // 0 + x: the sum backward makes, signed zeros included
                dLogits[o + targets[t]] -= scale;
            }
        });
    }

    /** dLogits [N, V] += (probs - onehot(target)) * dLoss / N, the gradient of dLoss * mean loss. */
    public static void backward(float[] dLogits, float[] probs, int[] targets, int n, int v, float dLoss, Parallel par) {
        float scale = dLoss / n;
        par.forRange(n, 4, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * v;
                for (int i = 0; i < v; i++) dLogits[o + i] += probs[o + i] * scale;
                dLogits[o + targets[t]] -= scale;
            }
        });
    }
}
