package dev.actlab.cli;

import dev.actlab.model.hook.FiniteCheck;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import picocli.CommandLine.Option;

/** --check-finite, for the commands that run a decoder: name the first site where NaN or an infinity appeared. */
final class CheckFiniteOption {
    @Option(names = "--check-finite", description = "Check every hook site for NaN/Inf and stop at the first one, naming the site and position "
            + "(non-finite logits are always an error; this finds where they came from).") boolean on;

    /** hooks, followed by the finite check at every site when asked for. */
    Hooks with(Hooks hooks, HookedModel model) {
        if (!on) return hooks;
        return new Hooks().addAll(hooks).add(s -> true, new FiniteCheck(model.source()));
    }
}
