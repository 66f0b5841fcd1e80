package dev.actlab.tensor;

/**
 * Per-thread work arrays for the kernels' passes (scales, assembled quants, lane sums), kept
 * between calls: a decode token calls each matrix's kernel on every thread, and allocating the
 * arrays anew each time (~160 KB per call for Q6_K's [2048, 8192] ffn_down) filled the launcher's
 * small young generation (-Xmn8m) many times per token; Q4_K's prefill tiles allocated two int[8]
 * per tile (~100 MB/s of garbage in a 1B prefill). Each array is grown, never shrunk, and a
 * kernel overwrites every element it reads before reading it, so reuse cannot change a result.
 */
final class KernelScratch {
    private static final ThreadLocal<KernelScratch> CURRENT = ThreadLocal.withInitial(KernelScratch::new);

    private final float[][] floats = new float[4][0];
    private byte[] bytes = new byte[0];
    private final int[][] ints = new int[2][0];

    private KernelScratch() {}

    /** This thread's scratch arrays. */
    static KernelScratch get() { return CURRENT.get(); }

    /** Float array number slot (0..3) of at least n elements; contents undefined. */
    float[] floats(int slot, int n) {
        if (floats[slot].length < n) floats[slot] = new float[n];
        return floats[slot];
    }

    /** Int array number slot (0..1) of at least n elements; contents undefined. */
    int[] ints(int slot, int n) {
        if (ints[slot].length < n) ints[slot] = new int[n];
        return ints[slot];
    }

    /** A byte array of at least n elements; contents undefined. */
    byte[] bytes(int n) {
        if (bytes.length < n) bytes = new byte[n];
        return bytes;
    }
}
