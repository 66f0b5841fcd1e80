package dev.actlab.model.llama;

/**
 * The activation function of a decoder's MLP, with its derivative for the training path. Values
 * are computed in double and rounded once to float, so inference and training agree bit for bit.
 * <ul>
 *   <li>silu: x * sigmoid(x) (SwiGLU's; Shazeer 2020)</li>
 *   <li>gelu: the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks and Gimpel 2016; GPT-2's)</li>
 *   <li>relu: max(0, x); derivative 0 at 0</li>
 *   <li>relu2: relu(x)^2 (Primer, So et al. 2021; "ReLU^2 wins", Zhang et al. 2024)</li>
 *   <li>polyrelu: (r + r^2 + r^3) / 3 with r = relu(x): PolyReLU of order 3 (sum of a_i relu(x)^i,
 *       Zhuo et al. 2024, "Polynomial Composition Activations"), its coefficients fixed at the paper's
 *       initial values a_0 = 0, a_1 = a_2 = a_3 = 1/3 (the paper learns them; here they are constants)</li>
 * </ul>
 * relu, relu2 and polyrelu give exact zeros for x <= 0: the intrinsic activation sparsity.
 */
public enum MlpActivation {
    SILU, GELU, RELU, RELU2, POLYRELU;

    private static final double GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

    /** The name used on the command line and in GGUF metadata (lower case). */
    public String key() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** The activation by its key, or null when there is none of that name. */
    public static MlpActivation byKey(String key) {
        for (MlpActivation a : values()) if (a.key().equals(key)) return a;
        return null;
    }

    public static String keys() {
        StringBuilder b = new StringBuilder();
        for (MlpActivation a : values()) b.append(b.isEmpty() ? "" : ", ").append(a.key());
        return b.toString();
    }

    public float apply(float x) { return (float) value(x); }

    public float derivative(float x) { return (float) slope(x); }

    /** act(x) in double. */
    public double value(double x) {
        return switch (this) {
            case SILU -> x / (1 + Math.exp(-x));
            case GELU -> 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x * x * x)));
            case RELU -> x > 0 ? x : 0;
            case RELU2 -> x > 0 ? x * x : 0;
            case POLYRELU -> x > 0 ? (x + x * x + x * x * x) / 3 : 0;
        };
    }

    /** act'(x) in double (0 for x <= 0 where the function is flat). */
    public double slope(double x) {
        return switch (this) {
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
            case GELU -> {
                double u = GELU_C * (x + GELU_A * x * x * x), t = Math.tanh(u);
                yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * x * x);
            }
            case RELU -> x > 0 ? 1 : 0;
            case RELU2 -> x > 0 ? 2 * x : 0;
            case POLYRELU -> x > 0 ? (1 + 2 * x + 3 * x * x) / 3 : 0;
        };
    }
}
