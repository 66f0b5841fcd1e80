package dev.actlab.sae;

import java.io.IOException;

/** Rows of activations of one site, in a seeded random order, for training: from a model or from a capture store. */
public interface ActivationSource {
    /** Width of a row (the site's d_in). */
    int width();

    /** Fills dst [rows, width] with the next rows. */
    void next(float[] dst, int rows) throws IOException;

    /** Where the rows come from, for reports. */
    String describe();
}
