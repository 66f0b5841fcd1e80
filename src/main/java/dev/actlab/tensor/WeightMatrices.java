package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;

/** The one place that maps a stored dtype to the matrix class that executes it. */
public final class WeightMatrices {
    private WeightMatrices() {}

    /** Wraps data (rows x cols of type, ggml layout) without copying. */
    public static WeightMatrix of(DType type, MemorySegment data, int rows, int cols) {
        return switch (type) {
            case F32 -> new F32Matrix(data, rows, cols);
            case F16 -> new F16Matrix(data, rows, cols);
            case BF16 -> new BF16Matrix(data, rows, cols);
            case Q8_0 -> new Q8_0Matrix(data, rows, cols);
            case Q4_0 -> new Q4_0Matrix(data, rows, cols);
            case Q4_1 -> new Q4_1Matrix(data, rows, cols);
            case Q5_0 -> new Q5_0Matrix(data, rows, cols);
            case Q5_1 -> new Q5_1Matrix(data, rows, cols);
            case MXFP4 -> new Mxfp4Matrix(data, rows, cols);
            case Q4_K -> new Q4KMatrix(data, rows, cols);
            case Q5_K -> new Q5KMatrix(data, rows, cols);
            case Q6_K -> new Q6KMatrix(data, rows, cols);
            case Q2_K -> new Q2KMatrix(data, rows, cols);
            case Q3_K -> new Q3KMatrix(data, rows, cols);
            case IQ4_NL -> new IQ4NLMatrix(data, rows, cols);
            default -> throw new IllegalArgumentException(type + " weights cannot be executed");
        };
    }
}
