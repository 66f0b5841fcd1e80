package dev.actlab.quant;

/**
 * Hadamard matrices: n x n with entries +-1 and H H^T = n I. Built as a Kronecker product
 * H_m (x) H_(2^k) of a Sylvester matrix of order 2^k and a small core of order m, where m is 1,
 * q + 1 for a prime q = 3 (mod 4) (Paley's first construction) or 2(q + 1) for a prime
 * q = 1 (mod 4) (Paley's second). This covers every power of two and many other orders
 * (12, 20, 24, 28, 36, 44, ..., so 192 = 12 * 16 and 2816 = 44 * 64); an order it does not cover
 * (such as 172) has {@link #core} = 0.
 */
public final class Hadamard {
    private Hadamard() {}

    /** The core order m with n = m * 2^k, k as large as possible, or 0 when no construction here covers n. */
    public static int core(int n) {
        if (n < 1) return 0;
        for (int p = Integer.lowestOneBit(n); p >= 1; p >>= 1) {
            int m = n / p;
            if (m == 1 || paleyOne(m) || paleyTwo(m)) return m;
        }
        return 0;
    }

    public static boolean exists(int n) { return core(n) != 0; }

    private static boolean paleyOne(int m) { int q = m - 1; return q >= 3 && q % 4 == 3 && isPrime(q); }

    private static boolean paleyTwo(int m) { if (m % 2 != 0) return false; int q = m / 2 - 1; return q >= 5 && q % 4 == 1 && isPrime(q); }

    static boolean isPrime(int q) {
        if (q < 2) return false;
        for (int d = 2; (long) d * d <= q; d++) if (q % d == 0) return false;
        return true;
    }

    /** The core matrix of order m (entries +-1), for m = 1 or a Paley order. */
    public static int[][] coreMatrix(int m) {
        if (m == 1) return new int[][]{{1}};
        if (paleyOne(m)) return paleyOneMatrix(m - 1);
        if (paleyTwo(m)) return paleyTwoMatrix(m / 2 - 1);
        throw new IllegalArgumentException("no Hadamard core of order " + m);
    }

    /** The full matrix of order n, entries +-1 (for tests and for fusing into weights). */
    public static int[][] matrix(int n) {
        int m = core(n);
        if (m == 0) throw new IllegalArgumentException("no Hadamard matrix of order " + n + " is constructed here (n = 2^k * m, m = 1 or a Paley order)");
        int p = n / m;
        int[][] c = coreMatrix(m), h = new int[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                h[i][j] = c[i / p][j / p] * (Integer.bitCount((i % p) & (j % p)) % 2 == 0 ? 1 : -1);   // Sylvester: (-1)^popcount(i & j)
        return h;
    }

    /** Quadratic character of a mod q: 0, 1 (a square) or -1. */
    private static int chi(int a, int q) {
        a = Math.floorMod(a, q);
        if (a == 0) return 0;
        long r = 1, b = a, e = (q - 1) / 2;            // Euler's criterion: a^((q-1)/2) mod q
        while (e > 0) { if ((e & 1) == 1) r = r * b % q; b = b * b % q; e >>= 1; }
        return r == 1 ? 1 : -1;
    }

    /** Paley I, q = 3 mod 4: H = I + S, S = [[0, 1^T], [-1, Q]], Q[i][j] = chi(j - i). */
    private static int[][] paleyOneMatrix(int q) {
        int n = q + 1;
        int[][] h = new int[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                int s;
                if (i == 0 && j == 0) s = 0;
                else if (i == 0) s = 1;
                else if (j == 0) s = -1;
                else s = chi(j - i, q);
                h[i][j] = s + (i == j ? 1 : 0);
            }
        return h;
    }

    /**
     * Paley II, q = 1 mod 4: the symmetric conference matrix C = [[0, 1^T], [1, Q]] of order q + 1;
     * H = C (x) [[1, -1], [-1, -1]] + I (x) [[1, 1], [1, -1]]... written out entry by entry: where C
     * is 0 (the diagonal) the 2x2 block is [[1, -1], [-1, -1]], where C is +-1 it is +-[[1, 1], [1, -1]].
     */
    private static int[][] paleyTwoMatrix(int q) {
        int m = q + 1, n = 2 * m;
        int[][] h = new int[n][n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) {
                int c = (i == 0 && j == 0) ? 0 : (i == 0 || j == 0) ? 1 : chi(j - i, q);
                int[][] block = c == 0 ? new int[][]{{1, -1}, {-1, -1}} : new int[][]{{c, c}, {c, -c}};
                for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) h[2 * i + a][2 * j + b] = block[a][b];
            }
        return h;
    }

    /** In-place fast Walsh-Hadamard transform (unnormalized Sylvester order) of x[off : off + p], p a power of two. */
    static void fwht(double[] x, int off, int p) {
        for (int len = 1; len < p; len <<= 1)
            for (int i = 0; i < p; i += len << 1)
                for (int j = i; j < i + len; j++) {
                    double a = x[off + j], b = x[off + j + len];
                    x[off + j] = a + b;
                    x[off + j + len] = a - b;
                }
    }
}
