package dev.actlab.train;

/**
 * The four activations a block feeds into its linear layers, the places QAT fake-quantizes
 * activations: named after the GGUF weights that read them, with the forward pass's buffer.
 */
public enum MatmulInput {
    /** ln1, the normalized residual read by attn_q, attn_k and attn_v. */
    ATTN_QKV("attn_qkv", "ln1"),
    /** z, the attention heads' concatenated output read by attn_output. */
    ATTN_OUTPUT("attn_output", "z"),
    /** ln2, the normalized residual read by ffn_gate and ffn_up. */
    FFN_GATE_UP("ffn_gate_up", "ln2"),
    /** h = silu(gate) * up, read by ffn_down (the "FC2" input). */
    FFN_DOWN("ffn_down", "h");

    /** Name in JSON and tables. */
    public final String key;
    /** The TrainModel buffer that holds it. */
    public final String buffer;

    MatmulInput(String key, String buffer) { this.key = key; this.buffer = buffer; }
}
