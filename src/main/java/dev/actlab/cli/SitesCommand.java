package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.SiteShapes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sites", description = {"Every hook site of a model with its activation's shape, grouped by block (TransformerLens' hook_dict).",
        "Shapes are found by running --positions tokens once with a hook on every site."})
final class SitesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--positions", defaultValue = "4", description = "Input length the concrete shapes are for (default ${DEFAULT-VALUE}).") int positions;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (positions < 1) throw new IllegalArgumentException("--positions must be >= 1, got " + positions);
        HookedModel m = model.load();
        int token = m.tokenizer() != null && m.tokenizer().bosId() >= 0 ? m.tokenizer().bosId() : Math.min(1, m.vocabSize() - 1);
        List<SiteShapes.Site> sites = SiteShapes.of(m, positions, token);
        PrintWriter out = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source());
            j.put("architecture", m.architecture());
            j.put("blocks", m.layers());
            j.put("d_model", m.dModel());
            j.put("positions", positions);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (SiteShapes.Site s : sites) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("name", s.name());
                r.put("block", s.block() < 0 ? null : s.block());
                r.put("shape", s.shape());
                r.put("dims", s.dims());
                rows.add(r);
            }
            j.put("sites", rows);
            out.println(Json.write(j));
            return 0;
        }
        out.printf("%s (%s): %d sites, %d blocks, d_model %d; shapes for %d positions%n", m.source(), m.architecture(), sites.size(), m.layers(), m.dModel(), positions);
        int block = Integer.MIN_VALUE;
        for (SiteShapes.Site s : sites) {
            int b = s.block();
            if (b != block) out.println(b < 0 ? "global" : "block " + b);
            block = b;
            out.printf("  %-34s %-24s %s%n", s.name(), s.symbolic(), java.util.Arrays.toString(s.shape()));
        }
        out.flush();
        return 0;
    }
}
