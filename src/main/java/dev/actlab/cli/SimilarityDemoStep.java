package dev.actlab.cli;

import dev.actlab.model.bert.BertModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Embeds a few sentences with MiniLM and prints their cosine similarities: pairs that mean the same should pair up. */
final class SimilarityDemoStep implements DemoStep {
    static final List<String> SENTENCES = List.of(
            "A man is playing a guitar.",
            "Someone is strumming an acoustic guitar.",
            "The stock market fell sharply today.",
            "Shares dropped after the earnings report.",
            "A cat is sleeping on the windowsill.",
            "The kitten naps in the afternoon sun.",
            "How do I reset my password?",
            "I forgot my login credentials.");

    @Override public String name() { return "similarity"; }
    @Override public String title() { return "sentence embeddings with all-MiniLM-L6-v2 (pure Java), cosine similarity"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        BertModel m = ctx.encoder();
        long t0 = System.nanoTime();
        float[][] e = m.embed(SENTENCES);
        double ms = (System.nanoTime() - t0) / 1e6;
        int n = SENTENCES.size();
        double[][] cos = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < e[i].length; k++) s += e[i][k] * e[j][k];   // unit vectors: dot = cosine
                cos[i][j] = s;
            }
        for (int i = 0; i < n; i++) ctx.out.printf("  [%d] %s%n", i, SENTENCES.get(i));
        ctx.out.print("       ");
        for (int j = 0; j < n; j++) ctx.out.printf("  [%d] ", j);
        ctx.out.println();
        List<Map<String, Object>> nearest = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ctx.out.printf("  [%d]  ", i);
            int best = -1;
            for (int j = 0; j < n; j++) {
                ctx.out.printf("%5.2f ", cos[i][j]);
                if (j != i && (best < 0 || cos[i][j] > cos[i][best])) best = j;
            }
            ctx.out.printf("  nearest: [%d]%n", best);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("sentence", i); r.put("nearest", best); r.put("cosine", DemoStep.round(cos[i][best]));
            nearest.add(r);
        }
        ctx.out.printf("  (%d sentences embedded in %.1f ms, a first call: includes JIT warm-up)%n", n, ms);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source()); out.put("sentences", SENTENCES); out.put("embed_ms", DemoStep.round(ms));
        List<List<Double>> table = new ArrayList<>();
        for (double[] row : cos) { List<Double> r = new ArrayList<>(); for (double c : row) r.add(DemoStep.round(c)); table.add(r); }
        out.put("cosine", table); out.put("nearest", nearest);
        return out;
    }
}
