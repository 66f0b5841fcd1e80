package dev.actlab.train;
import dev.actlab.tensor.Parallel;
/**
 * Training-step speed of the default Brown decoder shape on one thread, in GFLOP per CPU-second of
 * the thread (a shared machine does not lower it) and as a fraction of the measured FMA peak:
 *   java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.train.TrainStepBench
 */
public class TrainStepBench {
    public static void main(String[] a) throws InterruptedException {
        double peak = dev.actlab.bench.FmaPeak.measure(1, 1000);
        int B = 8, T = 256;
        var c = ModelPreset.BROWN.config(T, 4096);
        Parallel par = new Parallel(1);
        TrainModel m = new TrainModel(c).withParallel(par);
        m.initialize(1);
        int[] in = new int[B * T], tg = new int[B * T];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < in.length; i++) { in[i] = r.nextInt(4096); tg[i] = r.nextInt(4096); }
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        double flops = 3 * m.forwardFlopsPerToken(T) * B * T;
        for (int it = 0; it < 6; it++) {
            long t0 = mx.getCurrentThreadCpuTime();
            m.zeroGrad(); m.forward(in, tg, B, T); m.backward(1f);
            double s = (mx.getCurrentThreadCpuTime() - t0) / 1e9;
            System.out.printf("step %.3f s CPU, %.1f GFLOP per CPU-second (%.0f tok per CPU-second), %.0f%% of the %.0f GFLOP/s FMA peak of one core%n",
                    s, flops / s / 1e9, B * T / s, 100 * flops / s / 1e9 / peak, peak);
        }
        System.exit(0);
    }
}
