package dev.actlab.steer;

/**
 * The first principal component of rows of data, uncentered: the unit vector u maximising
 * sum_i (x_i . u)^2, i.e. the top right singular vector. Computed from the smaller of the Gram
 * matrix X X^T [n, n] and X^T X [d, d] by cyclic Jacobi rotations in double (exact to rounding,
 * deterministic, no dependence on a gap between eigenvalues as power iteration has).
 *
 * @param direction unit vector [d]; its sign is arbitrary (the caller fixes it)
 * @param explained the share of sum_i |x_i|^2 along u: lambda_1 / trace
 */
record PrincipalComponent(double[] direction, double explained) {

    static PrincipalComponent first(double[][] x) {
        int n = x.length, d = x[0].length;
        boolean gram = n <= d;
        int m = gram ? n : d;
        double[][] a = new double[m][m];
        if (gram) {
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) { double s = dot(x[i], x[j]); a[i][j] = s; a[j][i] = s; }
        } else {
            for (double[] row : x)
                for (int i = 0; i < d; i++) {
                    double ri = row[i];
                    if (ri == 0) continue;
                    for (int j = 0; j < d; j++) a[i][j] += ri * row[j];
                }
        }
        double trace = 0;
        for (int i = 0; i < m; i++) trace += a[i][i];
        if (!(trace > 0)) throw new IllegalArgumentException("the differences are all zero: no principal component");
        double[][] v = eigen(a);
        int top = 0;
        for (int i = 1; i < m; i++) if (a[i][i] > a[top][top]) top = i;
        double lambda = a[top][top];
        double[] u = new double[d];
        if (gram) {   // u = X^T w / |X^T w| for the top eigenvector w of X X^T
            for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) u[j] += v[i][top] * x[i][j];
        } else {
            for (int j = 0; j < d; j++) u[j] = v[j][top];
        }
        double norm = Math.sqrt(dot(u, u));
        for (int j = 0; j < d; j++) u[j] /= norm;
        return new PrincipalComponent(u, lambda / trace);
    }

    /**
     * Diagonalises the symmetric matrix a in place (its diagonal becomes the eigenvalues) and
     * returns the eigenvectors as the columns of v.
     */
    static double[][] eigen(double[][] a) {
        int m = a.length;
        double[][] v = new double[m][m];
        for (int i = 0; i < m; i++) v[i][i] = 1;
        double total = 0;
        for (double[] row : a) for (double e : row) total += e * e;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < m; p++) for (int q = p + 1; q < m; q++) off += a[p][q] * a[p][q];
            if (off <= 1e-30 * total) break;
            for (int p = 0; p < m; p++) {
                for (int q = p + 1; q < m; q++) {
                    double apq = a[p][q];
                    if (apq == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < m; k++) {   // A J
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < m; k++) {   // J^T (A J)
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < m; k++) {   // V J
                        double vkp = v[k][p], vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        return v;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
