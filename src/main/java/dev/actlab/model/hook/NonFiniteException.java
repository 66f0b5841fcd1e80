package dev.actlab.model.hook;

/**
 * A forward pass produced NaN or an infinity where a number was due: a wrong answer, so the run
 * stops instead of sampling from it or averaging it. The cause is in the model (a NaN or huge
 * weight, a bad hyperparameter) or in a hook that wrote one; either way it is input the caller
 * has to fix, hence an IllegalArgumentException (the CLI reports those as errors, without a
 * stack trace).
 */
public final class NonFiniteException extends IllegalArgumentException {
    private final String site;
    private final int position;

    /**
     * @param site      the hook site name, or "logits"
     * @param position  the sequence position (0-based) whose values are not finite
     */
    public NonFiniteException(String source, String site, int position, String detail) {
        super(source + ": " + site + " at position " + position + " is not finite: " + detail);
        this.site = site; this.position = position;
    }

    public String site() { return site; }
    public int position() { return position; }

    /** "NaN", "+Inf" or "-Inf" for a non-finite float. */
    public static String describe(float v) {
        return Float.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    }
}
