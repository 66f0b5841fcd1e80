package dev.actlab.sae;

/** Feature activations of n rows, sparse: per row the active latents' indices (ascending or by size) and values. */
public final class SparseCode {
    private final int[][] indices;
    private final float[][] values;

    public SparseCode(int rows) { indices = new int[rows][]; values = new float[rows][]; }

    public int rows() { return indices.length; }
    public int[] indices(int r) { return indices[r]; }
    public float[] values(int r) { return values[r]; }
    void setRow(int r, int[] idx, float[] val) { indices[r] = idx; values[r] = val; }

    /** Mean number of active latents per row. */
    public double meanL0() {
        long s = 0;
        for (int[] i : indices) s += i.length;
        return rows() == 0 ? 0 : (double) s / rows();
    }
}
