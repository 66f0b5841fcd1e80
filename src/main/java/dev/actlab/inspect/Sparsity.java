package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Activation sparsity after the MLP nonlinearity, per layer: the fraction of exact zeros and of
 * near zeros (|x| < eps) at {@code blocks.L.mlp.hook_post} (for gated decoders act(gate)·up, the
 * input of the down projection; for BERT the output of GELU). Read off the site statistics.
 */
public final class Sparsity {
    public static final String SITE_SUFFIX = "mlp.hook_post";

    public record Layer(int layer, String site, long values, double zeroFraction, double nearZeroFraction) {}

    public record Result(Rule rule, List<Layer> layers) {}

    private Sparsity() {}

    public static Result of(List<SiteStats> stats, float eps) {
        List<Layer> out = new ArrayList<>();
        for (SiteStats s : stats) {
            if (s.layer() < 0 || !HookSite.suffixOf(s.name()).equals(SITE_SUFFIX)) continue;
            ChannelStats all = s.all();
            out.add(new Layer(s.layer(), s.name(), all.count(), all.zeroFraction(), all.nearZeroFraction()));
        }
        Rule rule = new Rule("mlp_sparsity",
                "fraction of values at blocks.L." + SITE_SUFFIX + " that are exactly 0, and that have |x| < " + eps,
                Map.of("site", "blocks.*." + SITE_SUFFIX, "eps", eps));
        return new Result(rule, out);
    }
}
