package dev.actlab.bench;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import java.lang.management.ManagementFactory;

/**
 * In-process A/B of a kernel switch (a boolean of KernelChoice: old path false, new true) on the
 * MiniLM forward pass, for the speed work of issue 20. Not a test. Rounds alternate old and new;
 * each timing is reps forward passes, in process CPU time (a neighbour that takes the cores away
 * does not count) and wall time. Prints best / median of each and the ratio old / new (> 1: new is faster).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.EncoderSpeedAB SWITCH BATCH SEQ THREADS ROUNDS [REPS [w8a8[:recipe]]]
 * </pre>
 */
public final class EncoderSpeedAB {
    public static void main(String[] args) throws Exception {
        java.lang.reflect.Field field;   // a switch of KernelChoice, of the encoder's own EncoderChoice, or Class#field
        int hash = args[0].indexOf('#');
        if (hash > 0) field = Class.forName(args[0].substring(0, hash)).getField(args[0].substring(hash + 1));
        else {
            try { field = KernelChoice.class.getField(args[0]); }
            catch (NoSuchFieldException e) { field = dev.actlab.model.bert.EncoderChoice.class.getField(args[0]); }
        }
        int batch = Integer.parseInt(args[1]), seq = Integer.parseInt(args[2]), threads = Integer.parseInt(args[3]), rounds = Integer.parseInt(args[4]);
        int reps = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        BertModel m = ModelRef.encoder("minilm");
        if (args.length > 6) m = dev.actlab.quant.EncoderW8A8.quantize(m, dev.actlab.quant.EncoderW8A8.Spec.parse(args[6]));
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Parallel par = new Parallel(threads)) {
            m.withParallel(par);
            int[][] ids = OnnxRuntimeComparison.inputs(m, batch, seq, 42);
            double[][] cpu = new double[2][rounds], wall = new double[2][rounds];
            for (int r = -2; r < rounds; r++)   // two warm-up rounds
                for (int i = 0; i < 2; i++) {
                    int v = (i + Math.max(r, 0)) % 2;   // alternate who goes first
                    field.setBoolean(null, v == 1);
                    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    for (int k = 0; k < reps; k++) m.forward(ids, null, Hooks.none());
                    if (r < 0) continue;
                    cpu[v][r] = (os.getProcessCpuTime() - c0) / 1e6 / reps;
                    wall[v][r] = (System.nanoTime() - t0) / 1e6 / reps;
                }
            field.setBoolean(null, true);
            System.out.printf("%s %d x %d, %d thread(s), %s, %d rounds x %d passes (ms per pass, best / median)%n", m.source(), batch, seq, threads, args[0], rounds, reps);
            for (String what : new String[]{"CPU", "wall"}) {
                double[][] t = what.equals("CPU") ? cpu : wall;
                double ob = min(t[0]), om = BestMedian.median(t[0]), nb = min(t[1]), nm = BestMedian.median(t[1]);
                System.out.printf("  %-4s old %.2f / %.2f   new %.2f / %.2f   old/new x%.3f / x%.3f%n", what, ob, om, nb, nm, ob / nb, om / nm);
            }
        }
    }

    private static double min(double[] v) { return java.util.Arrays.stream(v).min().orElseThrow(); }
}
