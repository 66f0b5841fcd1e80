package dev.actlab.cli;

import dev.actlab.io.Json;

import dev.actlab.io.AtomicFile;
import dev.actlab.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", description = "The tour: runs each demo step on real models and writes a report folder (demo.json, ...).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "actlab-demo", description = "Report folder (default ./actlab-demo).") Path out;
    @Mixin ThreadsOption threads;

    /** The demo, in order. A feature joins the tour by adding its step here. */
    static List<DemoStep> steps() {
        return List.of(new SimilarityDemoStep(), new InspectDemoStep(), new DecoderDemoStep(), new PatchDemoStep(), new SteeringDemoStep(), new ProbeDemoStep(),
                new QuantizeDemoStep(), new SparsityDemoStep(), new SaeDemoStep(), new EncoderSpeedDemoStep(),
                new PruneDemoStep(),
                new EncoderW8A8DemoStep(),
                new LlamaFileDemoStep());
    }

    @Override public Integer call() throws Exception {
        OutputPath.directory("--out", out);
        int n = threads.count();
        Parallel.setDefaultThreads(n);
        Files.createDirectories(out);
        DemoContext ctx = new DemoContext(out, System.out, n);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("actlab", "0.2.0");
        report.put("threads", n);
        List<DemoStep> steps = steps();
        for (int i = 0; i < steps.size(); i++) {
            DemoStep s = steps.get(i);
            System.out.printf("%n== %d/%d %s%n", i + 1, steps.size(), s.title());
            long t0 = System.nanoTime();
            Map<String, Object> section = new LinkedHashMap<>(s.run(ctx));
            section.put("seconds", DemoStep.round((System.nanoTime() - t0) / 1e9));
            report.put(s.name(), section);
            AtomicFile.writeString(out.resolve("demo.json"), Json.write(report));   // a partial report survives a later failure
            DemoIndex.write(out, steps, report);
        }
        System.out.printf("%nreport: %s (every step's report and numbers: %s)%n", out.resolve("demo.json"), out.resolve(DemoIndex.FILE));
        return 0;
    }

    /** text shortened to width characters with an ellipsis, on one line. */
    static String clip(String text, int width) {
        String one = text.replaceAll("\\s+", " ");
        return one.length() <= width ? one : one.substring(0, width - 1) + "…";
    }
}
