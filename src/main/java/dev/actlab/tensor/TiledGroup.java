package dev.actlab.tensor;

import java.util.Set;

/**
 * A prefill's matrices that read the same input (a layer's q, k, v; gate, up) through one {@link TiledMatmul} call:
 * x packed once, all their strips in one parallel region. Only where each matrix's own matmul would take
 * TiledMatmul with these tokens (the same bits as calling them one by one).
 */
public final class TiledGroup {
    /** The formats whose matmul runs TiledMatmul from {@link TiledMatmul#MIN_TOKENS} tokens when KernelChoice.tiledPrefill is on. */
    private static final Set<Class<?>> TILED = Set.of(F32Matrix.class, F16Matrix.class, Q8_0Matrix.class, Q4_0Matrix.class,
            Q4KMatrix.class, Q5KMatrix.class, Q6KMatrix.class);

    private TiledGroup() {}

    /** outs[m] = x ws[m]^T ([n, rows_m]) for x [n, cols] and returns true; false (nothing done) when a matrix would not tile. */
    public static boolean multiply(WeightMatrix[] ws, float[] x, int n, float[][] outs, Parallel par) {
        if (n < TiledMatmul.MIN_TOKENS || !KernelChoice.tiledPrefill) return false;
        TiledMatmul.Tiles[] tiles = new TiledMatmul.Tiles[ws.length];
        for (int m = 0; m < ws.length; m++) {
            if (!TILED.contains(ws[m].getClass()) || ws[m].cols() != ws[0].cols()) return false;
            tiles[m] = (TiledMatmul.Tiles) ws[m];
        }
        TiledMatmul.multiplyGroup(tiles, x, n, outs, par);
        return true;
    }
}
