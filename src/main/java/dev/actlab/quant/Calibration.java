package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calibration text as token windows, and the one way steps see activations: run the model as it
 * stands (built from a {@link QuantModel}) over every window with hooks at the sites projections
 * read (ln1/ln2.hook_normalized, attn.hook_z, mlp.hook_post), and hand each projection the exact
 * rows its matmul multiplies: the hooked activation times the norm's weight where a norm precedes
 * it, passed through the projection's own input transform (online rotation, noise, activation
 * quantization), as {@link QuantizedLinear} does at run time. A run for layer L stops after layer
 * L's last site (the later layers and the unembedding are not computed).
 */
public final class Calibration {
    /**
     * Receives the input rows x [n, cols] of one projection in one window, on the calling thread.
     * Projections with the same input may share one array: read it, copy it to keep it, never write it.
     */
    @FunctionalInterface
    public interface InputSink { void accept(int layer, Linear linear, float[] x, int n, int cols); }

    private final int[][] windows;

    public Calibration(int[][] windows) {
        if (windows.length == 0) throw new IllegalArgumentException("calibration needs at least one window of tokens");
        for (int[] w : windows) if (w.length == 0) throw new IllegalArgumentException("empty calibration window");
        this.windows = windows;
    }

    /**
     * count windows of ctx tokens, evenly spaced over the token stream (overlapping only when the
     * stream is shorter than count * (ctx - 1)); each starts with bos (when >= 0) followed by ctx - 1 tokens.
     */
    public static Calibration of(int[] tokens, int bos, int ctx, int count) {
        if (ctx < 2) throw new IllegalArgumentException("calibration context must be at least 2 tokens, got " + ctx);
        if (count < 1) throw new IllegalArgumentException("calibration needs at least one window, got " + count);
        int body = bos >= 0 ? ctx - 1 : ctx;
        if (tokens.length < body) throw new IllegalArgumentException("calibration text has " + tokens.length + " tokens, a window needs " + body);
        int span = tokens.length - body;
        int[][] w = new int[count][];
        for (int i = 0; i < count; i++) {
            int start = count == 1 ? 0 : (int) ((long) span * i / (count - 1));
            int[] win = new int[ctx];
            int o = 0;
            if (bos >= 0) win[o++] = bos;
            System.arraycopy(tokens, start, win, o, body);
            w[i] = win;
        }
        return new Calibration(w);
    }

    public int windows() { return windows.length; }

    public long tokens() { long n = 0; for (int[] w : windows) n += w.length; return n; }

    public int[] window(int i) { return windows[i]; }

    /** The first `count` windows (a cheaper calibration for searches that need fewer tokens). */
    public Calibration first(int count) { return new Calibration(Arrays.copyOf(windows, Math.min(count, windows.length))); }

    private static final class Stop extends RuntimeException {
        Stop() { super(null, null, false, false); }
    }

    /**
     * Runs the model as it stands over every window and hands the sink the input rows of the given
     * projections of layers [fromLayer, toLayer] (inclusive).
     */
    public void collect(QuantModel m, int fromLayer, int toLayer, Set<Linear> which, InputSink sink, Progress progress) {
        if (fromLayer < 0 || toLayer >= m.layers() || fromLayer > toLayer)
            throw new IllegalArgumentException("layers [" + fromLayer + ", " + toLayer + "] are outside the model's " + m.layers());
        if (which.isEmpty()) return;
        LlamaModel model = m.build();
        Parallel par = model.parallel();
        Set<HookSite> sites = EnumSet.noneOf(HookSite.class);
        for (Linear lin : which) sites.add(lin.inputSite);
        HookSite last = null;                       // the last of the sites to fire in a block
        for (HookSite s : List.of(HookSite.LN1_NORMALIZED, HookSite.ATTN_Z, HookSite.LN2_NORMALIZED, HookSite.MLP_POST)) if (sites.contains(s)) last = s;
        final String stopAt = last.nameAt(toLayer);
        Hooks hooks = new Hooks();
        for (int l = fromLayer; l <= toLayer; l++) {
            final int layer = l;
            for (HookSite site : sites) {
                List<Linear> readers = new ArrayList<>();
                for (Linear lin : which) if (lin.inputSite == site) readers.add(lin);
                hooks.add(site.nameAt(l), a -> {
                    deliver(m, layer, readers, a, sink, par);
                    if (a.name.equals(stopAt)) throw new Stop();
                });
            }
        }
        for (int i = 0; i < windows.length; i++) {
            try { model.run(windows[i], hooks); } catch (Stop expected) { /* the rest of the network is not needed */ }
            progress.update(i + 1, windows.length);
        }
    }

    /** Every layer, one pass. */
    public void collect(QuantModel m, Set<Linear> which, InputSink sink, Progress progress) {
        collect(m, 0, m.layers() - 1, which, sink, progress);
    }

    private static void deliver(QuantModel m, int layer, List<Linear> readers, Activation a, InputSink sink, Parallel par) {
        int n = a.shape[0], cols = a.size() / n;
        float[] base = a.toArray();
        if (readers.get(0).normed()) {
            float[] g = m.normBefore(layer, readers.get(0));
            for (int t = 0; t < n; t++) for (int i = 0; i < cols; i++) base[t * cols + i] *= g[i];
        }
        Map<LinearInput, float[]> done = new IdentityHashMap<>();   // projections with the same input transform share rows
        for (Linear lin : readers) {
            LinearInput in = m.input(layer, lin);
            float[] x = done.get(in);
            if (x == null) {
                x = in.isIdentity() ? base : base.clone();
                in.apply(x, n, cols, par);
                done.put(in, x);
            }
            sink.accept(layer, lin, x, n, cols);
        }
    }
}
