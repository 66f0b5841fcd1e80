package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.steer.ContrastivePairs;
import dev.actlab.steer.VectorExtraction;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "extract", mixinStandardHelpOptions = true, description = {"A steering vector per layer from contrastive texts, written as a llama.cpp control vector (GGUF): caa = mean of (positive - negative) at the chosen position; pca = first principal component of the paired differences (uncentered, as RepE with random pair order), signed so positives project higher and scaled to the mean difference along it; mean = mean of the positives - mean of the negatives (unpaired, e.g. a class against a neutral set).",
        "Vectors are raw (their length is the activations' difference) unless --normalize; use them with --control-vector-scaled FILE:S."})
final class SteerExtractCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;

    static final class Input {
        @Option(names = "--pairs", description = "TSV (positive<TAB>negative per line) or JSONL ({\"positive\":..,\"negative\":..[,\"prompt\":..]} per line).") Path pairs;
        @ArgGroup(exclusive = false) Sides sides;
    }
    static final class Sides {
        @Option(names = "--positive-file", required = true, description = "One positive text per line (llama.cpp cvector-generator's flag).") Path positive;
        @Option(names = "--negative-file", required = true, description = "One negative (or neutral) text per line; paired with the positives line by line except for --method mean.") Path negative;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--site", defaultValue = "blocks.*.hook_resid_post", description = "hook_resid_post sites (name or glob; default ${DEFAULT-VALUE}); layer 0 is left out, llama.cpp never steers it.") String site;
    @Option(names = "--method", defaultValue = "caa", description = "caa, pca or mean (default ${DEFAULT-VALUE}).") String method;
    @Option(names = "--position", defaultValue = "last", description = "last (the last token's activation) or mean (over the text's tokens) (default ${DEFAULT-VALUE}).") String position;
    @Option(names = "--normalize", description = "Scale every layer's vector to unit length.") boolean normalize;
    @Option(names = "--out", required = true, description = "Control-vector GGUF to write.") Path out;
    @Option(names = "--threads") Integer threads;
    @Option(names = "--json") boolean json;

    @Override public Integer call() throws Exception {
        if (threads != null) Parallel.setDefaultThreads(threads);
        OutputPath.file("--out", out);
        VectorExtraction.Method m = parse(VectorExtraction.Method.class, method, "--method");
        VectorExtraction.Position p = parse(VectorExtraction.Position.class, position, "--position");
        ContrastivePairs texts = input.pairs != null ? ContrastivePairs.read(input.pairs)
                : ContrastivePairs.read(input.sides.positive, input.sides.negative, m != VectorExtraction.Method.MEAN);
        HookedModel model = this.model.load();
        List<String> notes = new ArrayList<>();
        List<String> sites = VectorExtraction.sites(model, site, notes);
        VectorExtraction.Result r = VectorExtraction.extract(model, texts, sites, m, p, normalize, notes, new ProgressBar("extract", "texts"));
        r.controlVector(model.architecture(), out.toString()).write(out);
        PrintWriter w = spec.commandLine().getOut();
        if (json) w.println(Json.write(json(model, texts, r, out)));
        else {
            w.printf(Locale.ROOT, "%s at the %s token%s from %d %s: %s%n", m.name().toLowerCase(Locale.ROOT), p == VectorExtraction.Position.LAST ? "last" : "mean over each text's",
                    p == VectorExtraction.Position.LAST ? "" : "s", texts.size(), texts.paired() ? "pairs" : "positives and " + texts.negatives().size() + " negatives", out);
            w.printf("%-26s %10s %11s%s%n", "site", "|v|", texts.paired() ? "pairs sep." : "AUROC", m == VectorExtraction.Method.PCA ? "   explained" : "");
            for (VectorExtraction.Layer l : r.layers())
                w.printf(Locale.ROOT, "%-26s %10.4f %11.3f%s%n", l.site(), l.norm(), l.separation(),
                        l.explained() == null ? "" : String.format(Locale.ROOT, " %11.3f", l.explained()));
            for (String n : r.notes()) w.println("note: " + n);
        }
        return 0;
    }

    static Map<String, Object> json(HookedModel model, ContrastivePairs texts, VectorExtraction.Result r, Path out) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model.source());
        j.put("pairs", texts.source());
        j.put("method", r.method().name().toLowerCase(Locale.ROOT));
        j.put("position", r.position().name().toLowerCase(Locale.ROOT));
        j.put("normalized", r.normalized());
        j.put("positives", r.positives());
        j.put("negatives", r.negatives());
        j.put("paired", r.paired());
        j.put("out", out.toString());
        List<Map<String, Object>> layers = new ArrayList<>();
        for (VectorExtraction.Layer l : r.layers()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("layer", l.layer());
            e.put("site", l.site());
            e.put("norm", l.norm());
            e.put(r.paired() ? "pair_separation" : "auroc", l.separation());
            if (l.explained() != null) e.put("explained", l.explained());
            layers.add(e);
        }
        j.put("layers", layers);
        j.put("notes", r.notes());
        return j;
    }

    static <E extends Enum<E>> E parse(Class<E> type, String value, String flag) {
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(value.trim())) return e;
        throw new IllegalArgumentException(flag + " " + value + ": expected one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
    }
}
