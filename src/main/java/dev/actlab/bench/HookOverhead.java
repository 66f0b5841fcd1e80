package dev.actlab.bench;

import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What hooks cost during decode: the same prompt and greedy continuation run with no hooks, with a
 * hook set that matches no site (every site is checked, none fires), and with a cache of every
 * {@code blocks.*.hook_resid_post}. The three alternate within each round so a neighbour's load
 * hits them alike.
 */
public final class HookOverhead {
    private HookOverhead() {}

    /** Per mode: decode tok/s best and median, and the median ratio to no hooks. */
    public static Map<String, Map<String, Double>> measure(LlamaModel m, int[] prompt, int gen, int rounds) {
        Map<String, Supplier<Hooks>> modes = new LinkedHashMap<>();
        modes.put("no_hooks", Hooks::none);
        modes.put("unused_hooks", () -> new Hooks().add(name -> false, a -> { throw new AssertionError(a.name); }));
        modes.put("cache_resid_post", () -> new Hooks().add("blocks.*.hook_resid_post", new ActivationCache()));
        Map<String, double[]> speeds = new LinkedHashMap<>();
        modes.keySet().forEach(k -> speeds.put(k, new double[rounds]));
        for (int r = 0; r < rounds; r++)
            for (var e : modes.entrySet()) speeds.get(e.getKey())[r] = decodeTokensPerSecond(m, prompt, gen, e.getValue().get());
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        double base = median(speeds.get("no_hooks"));
        for (var e : speeds.entrySet()) {
            Map<String, Double> s = new LinkedHashMap<>();
            s.put("best_tokens_per_second", Arrays.stream(e.getValue()).max().orElseThrow());
            s.put("median_tokens_per_second", median(e.getValue()));
            s.put("median_ratio_to_no_hooks", median(e.getValue()) / base);
            out.put(e.getKey(), s);
        }
        return out;
    }

    private static double decodeTokensPerSecond(LlamaModel m, int[] prompt, int gen, Hooks hooks) {
        KvCache cache = m.newCache();
        float[] logits = m.forward(cache, prompt, hooks, false);
        long t0 = System.nanoTime();
        for (int g = 0; g < gen; g++) {
            int next = 0;
            for (int i = 1; i < logits.length; i++) if (logits[i] > logits[next]) next = i;
            logits = m.forward(cache, new int[]{next}, hooks, false);
        }
        return gen / ((System.nanoTime() - t0) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
