package dev.actlab.sparsity;

/**
 * The four matmul inputs of a Llama block that activation sparsity thresholds. A site is one kind in
 * one layer, named after the GGUF tensors its input feeds: {@code blk.3.ffn_down}.
 */
public enum SiteKind {
    /** ln1's output, the input of attn_q, attn_k and attn_v (one threshold for the three). */
    ATTN_QKV("attn_qkv"),
    /** hook_z, the input of attn_output. */
    ATTN_OUTPUT("attn_output"),
    /** ln2's output, the input of ffn_gate and ffn_up. */
    FFN_GATE_UP("ffn_gate_up"),
    /** mlp.hook_post, SiLU(gate) * up, the input of ffn_down. */
    FFN_DOWN("ffn_down");

    public final String id;

    SiteKind(String id) { this.id = id; }

    public String siteName(int layer) { return "blk." + layer + "." + id; }

    public static SiteKind byId(String id) {
        for (SiteKind k : values()) if (k.id.equals(id)) return k;
        return null;
    }
}
