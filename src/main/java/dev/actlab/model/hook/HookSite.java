package dev.actlab.model.hook;

/**
 * The kinds of hook sites, named as TransformerLens names them. Block sites exist once per
 * layer ({@code blocks.L.<suffix>}); global sites once per model.
 */
public enum HookSite {
    // global
    EMBED("hook_embed", false),
    POS_EMBED("hook_pos_embed", false),
    TOKEN_TYPE_EMBED("hook_token_type_embed", false),   // BERT segment embedding
    EMBED_LN_SCALE("embed.ln.hook_scale", false),       // BERT's LayerNorm after the embeddings
    EMBED_LN_NORMALIZED("embed.ln.hook_normalized", false),
    LN_FINAL_SCALE("ln_final.hook_scale", false),
    LN_FINAL_NORMALIZED("ln_final.hook_normalized", false),
    // per block, in the order the forward pass reaches them
    RESID_PRE("hook_resid_pre", true),
    LN1_SCALE("ln1.hook_scale", true),
    LN1_NORMALIZED("ln1.hook_normalized", true),
    ATTN_Q("attn.hook_q", true),
    ATTN_K("attn.hook_k", true),
    ATTN_V("attn.hook_v", true),
    ATTN_ROT_Q("attn.hook_rot_q", true),
    ATTN_ROT_K("attn.hook_rot_k", true),
    ATTN_SCORES("attn.hook_attn_scores", true),
    ATTN_PATTERN("attn.hook_pattern", true),
    ATTN_Z("attn.hook_z", true),
    ATTN_OUT("hook_attn_out", true),
    RESID_MID("hook_resid_mid", true),
    LN2_SCALE("ln2.hook_scale", true),
    LN2_NORMALIZED("ln2.hook_normalized", true),
    MLP_PRE("mlp.hook_pre", true),
    MLP_PRE_LINEAR("mlp.hook_pre_linear", true),
    MLP_POST("mlp.hook_post", true),
    MLP_OUT("hook_mlp_out", true),
    RESID_POST("hook_resid_post", true);

    public final String suffix;
    public final boolean perBlock;

    HookSite(String suffix, boolean perBlock) { this.suffix = suffix; this.perBlock = perBlock; }

    /** Full site name, e.g. {@code blocks.3.hook_resid_post}; layer is ignored for global sites. */
    public String nameAt(int layer) { return perBlock ? "blocks." + layer + "." + suffix : suffix; }

    /** The layer L of {@code blocks.L.suffix}; -1 for a global site such as {@code hook_embed}. */
    public static int layerOf(String site) {
        if (!site.startsWith("blocks.")) return -1;
        int dot = site.indexOf('.', 7);
        if (dot < 0) return -1;
        try { return Integer.parseInt(site.substring(7, dot)); }
        catch (NumberFormatException e) { return -1; }
    }

    /** The part after {@code blocks.L.}, or the whole name for a global site. */
    public static String suffixOf(String site) {
        if (layerOf(site) < 0) return site;
        return site.substring(site.indexOf('.', 7) + 1);
    }
}
