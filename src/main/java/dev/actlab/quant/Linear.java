package dev.actlab.quant;

import dev.actlab.model.hook.HookSite;
import dev.actlab.model.llama.LlamaConfig;

/**
 * The seven projections of a Llama block, each with the hook site its input is read from. The
 * input of q, k, v is ln1's normalized activation times the attention norm's weight; of gate and
 * up, ln2's times the MLP norm's weight; of o, the attention output per head (hook_z); of down,
 * mlp.hook_post.
 */
public enum Linear {
    Q("attn_q", HookSite.LN1_NORMALIZED),
    K("attn_k", HookSite.LN1_NORMALIZED),
    V("attn_v", HookSite.LN1_NORMALIZED),
    O("attn_output", HookSite.ATTN_Z),
    GATE("ffn_gate", HookSite.LN2_NORMALIZED),
    UP("ffn_up", HookSite.LN2_NORMALIZED),
    DOWN("ffn_down", HookSite.MLP_POST);

    /** llama.cpp's tensor name: blk.L.NAME.weight. */
    public final String ggufName;
    /** Where the input is read. */
    public final HookSite inputSite;

    Linear(String ggufName, HookSite inputSite) { this.ggufName = ggufName; this.inputSite = inputSite; }

    public int rows(LlamaConfig c) {
        return switch (this) { case Q -> c.qDim(); case K, V -> c.kvDim(); case O -> c.dim(); case GATE, UP -> c.hiddenDim(); case DOWN -> c.dim(); };
    }

    public int cols(LlamaConfig c) {
        return switch (this) { case Q, K, V, GATE, UP -> c.dim(); case O -> c.qDim(); case DOWN -> c.hiddenDim(); };
    }

    /** True when the input passes through a norm whose weight multiplies it (q, k, v, gate, up). */
    public boolean normed() { return inputSite == HookSite.LN1_NORMALIZED || inputSite == HookSite.LN2_NORMALIZED; }

    /** "blk.3.ffn_down". */
    public String nameAt(int layer) { return "blk." + layer + "." + ggufName; }

    /** q, k, v, o, gate, up, down (case-insensitive) to a projection. */
    public static Linear parse(String s) {
        for (Linear l : values()) if (l.name().equalsIgnoreCase(s)) return l;
        throw new IllegalArgumentException("unknown projection '" + s + "': use q, k, v, o, gate, up or down");
    }
}
