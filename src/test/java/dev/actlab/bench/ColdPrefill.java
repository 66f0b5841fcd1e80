package dev.actlab.bench;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The first prefills of a fresh JVM, as `actlab bench --rounds 1` meets them (issue 20): a 16-token prefill and 8
 * decode steps as warm-up, then four 128-token prefills (each with 8 decode steps), tok/s of each prefill. The first
 * one is what `scripts/bench-vs-llamacpp.sh` reports; code the JIT has not compiled by then shows there and not in
 * SpeedAB's warm rounds. Run it in separate JVMs per setting, alternating, with the launcher's collector flags. Not a test.
 * <pre>
 * java --add-modules jdk.incubator.vector -XX:+UseSerialGC -Xmn8m -XX:SurvivorRatio=1 \
 *   -cp 'target/classes:target/test-classes:target/lib/*' [-Dthreads=2] [-Dwarm=16] dev.actlab.bench.ColdPrefill MODEL.gguf [SWITCH=true|false ...]
 * </pre>
 */
public final class ColdPrefill {
    public static void main(String[] args) throws Exception {
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=");
            java.lang.reflect.Field f;
            try { f = dev.actlab.model.llama.PrefillChoice.class.getField(kv[0]); }
            catch (NoSuchFieldException e) { f = KernelChoice.class.getField(kv[0]); }
            f.setBoolean(null, Boolean.parseBoolean(kv[1]));
        }
        Parallel.setDefaultThreads(Integer.getInteger("threads", 2));
        LlamaModel m = ModelRef.decoder(args[0], 1);
        m.withParallel(Parallel.shared());
        int[] prompt = new SplittableRandom(7).ints(128, 0, m.vocabSize()).toArray();
        run(m, Arrays.copyOf(prompt, Integer.getInteger("warm", 16)), 8);   // -Dwarm=128: the whole prompt, as `actlab bench` warms up
        StringBuilder line = new StringBuilder(String.join(" ", Arrays.copyOfRange(args, 1, args.length)) + ": prefill tok/s");
        for (int r = 0; r < 4; r++) line.append(String.format(" %.1f", run(m, prompt, 8)));
        System.out.println(line);
    }

    /** Prefill then greedy decode on a fresh cache; returns the prefill's tok/s. */
    private static double run(LlamaModel m, int[] prompt, int gen) {
        KvCache cache = m.newCache();
        long t0 = System.nanoTime();
        float[] logits = m.forward(cache, prompt, Hooks.none(), false);
        double tps = prompt.length / ((System.nanoTime() - t0) / 1e9);
        for (int g = 0; g < gen; g++) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
            logits = m.forward(cache, new int[]{best}, Hooks.none(), false);
        }
        return tps;
    }
}
