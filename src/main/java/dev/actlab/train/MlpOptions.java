package dev.actlab.train;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.MlpActivation;
import dev.actlab.model.llama.MlpSpec;
import java.util.List;
import java.util.Set;

/**
 * The MLP options of `actlab train` as typed: --activation, --mlp, --mlp-topk, --act-l1,
 * --act-l1-schedule (null: not given; the defaults are Llama's SwiGLU with no penalty).
 */
public record MlpOptions(String activation, String kind, Integer topK, Float actL1, String actL1Schedule) {
    public static final MlpOptions DEFAULT = new MlpOptions(null, null, null, null, null);

    /** The MLP asked for; IllegalArgumentException naming the option for a value that is not one. */
    public MlpSpec spec() {
        MlpActivation a = activation == null ? MlpActivation.SILU : MlpActivation.byKey(activation);
        if (a == null) throw new IllegalArgumentException("--activation " + activation + " is not one of " + MlpActivation.keys());
        String k = kind == null ? "gated" : kind;
        if (!k.equals("gated") && !k.equals("plain")) throw new IllegalArgumentException("--mlp " + kind + " is not gated or plain");
        int n = topK == null ? 0 : topK;
        if (n < 0) throw new IllegalArgumentException("--mlp-topk " + n + " is negative");
        return new MlpSpec(a, k.equals("gated"), n);
    }

    public float l1() { return actL1 == null ? 0f : actL1; }

    public String schedule() { return actL1Schedule == null ? "constant" : actL1Schedule; }

    /** Conflicts of the options typed now with a checkpoint's MLP (for TrainOptions.checkResume). */
    void conflicts(List<String> out, LlamaConfig saved, Set<String> given) {
        MlpSpec now = spec(), was = saved.mlp();
        if (given.contains("--activation") && now.activation() != was.activation())
            out.add("--activation gives " + now.activation().key() + ", the checkpoint has " + was.activation().key());
        if (given.contains("--mlp") && now.gated() != was.gated()) out.add("--mlp gives " + now.kind() + ", the checkpoint has " + was.kind());
        if (given.contains("--mlp-topk") && now.topK() != was.topK()) out.add("--mlp-topk gives " + now.topK() + ", the checkpoint has " + was.topK());
    }
}
