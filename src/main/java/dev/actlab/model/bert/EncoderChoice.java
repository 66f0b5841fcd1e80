package dev.actlab.model.bert;

/**
 * Switches between an encoder path and the one it replaced, for in-process A/B runs
 * (bench/EncoderSpeedAB, tests): true is the default path; both give the same bits.
 */
public final class EncoderChoice {
    private EncoderChoice() {}

    /** W8A8: the LayerNorm quantizes its rows for the int8 layers after it ({@link W8A8Input}). */
    public static volatile boolean quantizeInNorm = true;

    /** The calling thread's activation buffers reused from pass to pass while the token count stays the same ({@link EncoderWorkspace}). */
    public static volatile boolean reuseWorkspace = true;
}
