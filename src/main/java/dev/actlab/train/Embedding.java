package dev.actlab.train;

/** Token embedding lookup: out[n, :] = table[tokens[n], :]. */
public final class Embedding {
    private Embedding() {}

    /** out [N, C], tokens [N], table [V, C]. */
    public static void forward(float[] out, int[] tokens, float[] table, int n, int c) {
        for (int t = 0; t < n; t++) System.arraycopy(table, tokens[t] * c, out, t * c, c);
    }

    /**
     * dTable [V, C] += dOut [N, C] scattered by token. Single-threaded in position order: two
     * positions may share a token, and a fixed order keeps the sums bit-reproducible.
     */
    public static void backward(float[] dTable, float[] dOut, int[] tokens, int n, int c) {
        for (int t = 0; t < n; t++) {
            int row = tokens[t] * c, src = t * c;
            for (int i = 0; i < c; i++) dTable[row + i] += dOut[src + i];
        }
    }
}
