package dev.actlab.sparsity;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;

/**
 * R-Sparse (Zhang et al. 2025, rank-aware activation sparsity) on one linear layer: the input splits into
 * the entries its sparse part keeps, s(x), and the rest, x - s(x); the kept ones go through the full
 * weights, the rest through the best rank-r approximation W_r of W:
 * <pre>  y = W s(x) + W_r (x - s(x))</pre>
 * Where plain activation sparsity drops the small inputs, R-Sparse keeps their contribution along W's
 * largest singular directions. The sparse part is a {@link SparseInputMatrix} (its kernels, its counter);
 * the low-rank part reads r (rows + cols) weights per token (float32 factors).
 */
final class RankAwareMatrix implements WeightMatrix {
    private final SparseInputMatrix sparse;
    private final LowRankPart lowRank;

    RankAwareMatrix(SparseInputMatrix sparse, LowRankPart lowRank) {
        if (lowRank.rows != sparse.rows() || lowRank.cols != sparse.cols())
            throw new IllegalArgumentException("low-rank part [" + lowRank.rows + ", " + lowRank.cols + "] does not match [" + sparse.rows() + ", " + sparse.cols() + "]");
        this.sparse = sparse; this.lowRank = lowRank;
    }

    SparseInputMatrix sparsePart() { return sparse; }
    LowRankPart lowRankPart() { return lowRank; }

    @Override public int rows() { return sparse.rows(); }
    @Override public int cols() { return sparse.cols(); }
    @Override public DType dtype() { return sparse.dtype(); }
    @Override public long byteSize() { return sparse.byteSize(); }
    @Override public void dequantizeRow(int row, float[] dst, int off) { sparse.dequantizeRow(row, dst, off); }

    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        sparse.matmul(x, n, out, par);
        if (lowRank.rank == 0) return;
        float[] rest = new float[n * cols()];
        System.arraycopy(x, 0, rest, 0, rest.length);
        sparse.keepSkipped(rest, n);
        lowRank.addTo(rest, n, out);
    }

    @Override public float dot(int row, float[] x, int xOff) {
        float[] y = new float[rows()];
        float[] one = java.util.Arrays.copyOfRange(x, xOff, xOff + cols());
        matmul(one, 1, y, Parallel.shared());
        return y[row];
    }

    @Override public float dotScalar(int row, float[] x, int xOff) { return dot(row, x, xOff); }
}
