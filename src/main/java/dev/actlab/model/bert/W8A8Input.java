package dev.actlab.model.bert;

import dev.actlab.tensor.F32PanelMatrix;
import dev.actlab.tensor.Int8WeightPanelMatrix;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;

/**
 * The int8 layers that read x next (a layer's Q, K and V, or its MLP's first layer) and x quantized
 * for them [n, cols] with the per-token scales [n], written by the LayerNorm that produces x, rows at a
 * time while they are in L1: the matmul then skips its own quantizing pass and the hand-over before
 * it. The quantizer is the layers' own, so the bits are those of the unfused path. One instance per
 * forward call, reused layer after layer (its buffers grow once).
 */
final class W8A8Input {
    private Int8WeightPanelMatrix[] layers;
    private float[] xq = new float[0], sx = new float[0];

    /** This, aimed at ms, if they are all int8 panel layers that can share one quantized input; else null. */
    W8A8Input target(WeightMatrix... ms) {
        Int8WeightPanelMatrix[] l = new Int8WeightPanelMatrix[ms.length];
        for (int i = 0; i < ms.length; i++) {
            if (!(ms[i] instanceof Int8WeightPanelMatrix im) || !(i == 0 || l[0].sharesInputWith(im))) return null;
            l[i] = im;
        }
        layers = l;
        return this;
    }

    /** Room for n rows. */
    void prepare(int n) {
        int cols = layers[0].cols();
        if (xq.length < (long) n * cols) xq = new float[Math.multiplyExact(n, cols)];
        if (sx.length < n) sx = new float[n];
    }

    /** Quantizes rows [from, to) of x [n, cols]. */
    void quantize(float[] x, int from, int to) { layers[0].quantizeRows(x, from, to, xq, sx); }

    /** outs[m] = biases[m] + W_m x, then epilogue, on the quantized rows. */
    void matmul(int n, float[][] outs, float[][] biases, F32PanelMatrix.Epilogue epilogue, Parallel par) {
        Int8WeightPanelMatrix.matmulAllQuantized(layers, xq, sx, n, outs, biases, epilogue, par);
    }
}
