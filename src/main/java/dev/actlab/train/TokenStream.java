package dev.actlab.train;

import java.util.SplittableRandom;

/**
 * Training windows over one token sequence, split into a training part and a held-out part
 * (the last 5%). A window of T positions starting at offset o reads inputs [BOS, d[o], ...,
 * d[o + T - 2]] and targets [d[o], ..., d[o + T - 1]]: every sequence starts like generation does.
 * Batches are a pure function of (seed, step, micro-batch), so a resumed run needs no RNG state.
 */
public final class TokenStream {
    /** Byte-level tokens: ids 0..255 are bytes, 256 is BOS. */
    public static final int BYTE_BOS = 256, BYTE_VOCAB = 257;

    /** B sequences of T positions, row-major [B, T]. */
    public record Batch(int[] inputs, int[] targets, int batch, int seqLen) {}

    private final int[] tokens;
    private final int bos, trainEnd;

    public TokenStream(int[] tokens, int bos) { this(tokens, bos, tokens.length - tokens.length / 20); }

    /** Tokens [0, trainEnd) are for training, the rest is held out. */
    public TokenStream(int[] tokens, int bos, int trainEnd) {
        if (trainEnd < 0 || trainEnd > tokens.length) throw new IllegalArgumentException("training split " + trainEnd + " is outside [0, " + tokens.length + "]");
        this.tokens = tokens; this.bos = bos; this.trainEnd = trainEnd;
    }

    /**
     * Text tokenized without BOS, split where the text is: train part and held-out part are
     * encoded separately so no token straddles the boundary.
     */
    public static TokenStream ofText(dev.actlab.model.tokenizer.Tokenizer tok, String train, String heldOut) {
        int[] a = tok.encode(train, false), b = tok.encode(heldOut, false);
        int[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return new TokenStream(all, tok.bosId(), a.length);
    }

    /** Where the held-out text starts: the line break nearest before 95% of the text (the last 5% is held out). */
    public static int heldOutStart(String text) {
        int cut = text.lastIndexOf('\n', text.length() - text.length() / 20);
        return cut <= 0 ? text.length() - text.length() / 20 : cut + 1;
    }

    public static TokenStream ofBytes(byte[] text) { return ofBytes(text, text.length - text.length / 20); }

    /** Byte tokens, bytes [0, trainEnd) for training. */
    public static TokenStream ofBytes(byte[] text, int trainEnd) {
        int[] t = new int[text.length];
        for (int i = 0; i < t.length; i++) t[i] = text[i] & 0xff;
        return new TokenStream(t, BYTE_BOS, trainEnd);
    }

    public int trainTokens() { return trainEnd; }
    public int heldOutTokens() { return tokens.length - trainEnd; }

    /** Checks both splits hold at least one window of T tokens; throws naming the sizes otherwise. */
    public void requireWindows(int T) {
        if (trainEnd < T || heldOutTokens() < T)
            throw new IllegalArgumentException("the corpus has " + tokens.length + " tokens: " + trainEnd + " for training and "
                    + heldOutTokens() + " held out, each split needs at least a context of " + T);
    }

    /** Training batch for (seed, step, micro): B windows at random offsets in the training part. */
    public Batch trainBatch(long seed, long step, int micro, int B, int T) {
        requireWindows(T);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro);
        int[] offsets = new int[B];
        for (int b = 0; b < B; b++) offsets[b] = rng.nextInt(trainEnd - T + 1);
        return windows(offsets, T);
    }

    /** Held-out batch number i of count: windows evenly spaced over the held-out part. */
    public Batch heldOutBatch(int i, int count, int B, int T) {
        requireWindows(T);
        int span = heldOutTokens() - T;
        int[] offsets = new int[B];
        for (int b = 0; b < B; b++) offsets[b] = trainEnd + (int) ((long) span * (i * B + b) / Math.max(1, count * B - 1));
        return windows(offsets, T);
    }

    private Batch windows(int[] offsets, int T) {
        int B = offsets.length;
        int[] in = new int[B * T], out = new int[B * T];
        for (int b = 0; b < B; b++) {
            int o = offsets[b];
            in[b * T] = bos;
            System.arraycopy(tokens, o, in, b * T + 1, T - 1);
            System.arraycopy(tokens, o, out, b * T, T);
        }
        return new Batch(in, out, B, T);
    }
}
