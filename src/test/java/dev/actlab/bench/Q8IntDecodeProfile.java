package dev.actlab.bench;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The Q8_0 decode kernels of one process alternated over rounds (issue 20, branch q8f16): the default float kernel
 * and the opt-in integer one (Q8_0Matrix.intDecode, -Dactlab.q8IntDecode), each timed by {@link DecodeProfile}'s
 * greedy decode of 16 tokens and its matmul-only token. Not a test. {@code -Dmatrix=Q4_0Matrix} alternates Q4_0's
 * kernels instead (Q4_0Matrix.intDecode, -Dactlab.q4IntDecode; branch decode5).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes' \
 *   dev.actlab.bench.Q8IntDecodeProfile MODEL.gguf THREADS ROUNDS
 * </pre>
 */
public final class Q8IntDecodeProfile {
    public static void main(String[] args) throws Exception {
        Parallel.setDefaultThreads(Integer.parseInt(args[1]));
        Parallel par = Parallel.shared();
        LlamaModel m = ModelRef.decoder(args[0], 1);
        m.withParallel(par);
        int rounds = Integer.parseInt(args[2]);
        Field intDecode = Class.forName("dev.actlab.tensor." + System.getProperty("matrix", "Q8_0Matrix")).getDeclaredField("intDecode");
        intDecode.setAccessible(true);
        LlamaWeights w = m.weights();
        WeightMatrix[][] kinds = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown(), {w.output()}};
        int[] prompt = new SplittableRandom(7).ints(8, 0, m.vocabSize()).toArray();
        String[] names = {"float", "int"};
        double[][] tps = new double[2][rounds], mm = new double[2][rounds];
        for (int r = -1; r < rounds; r++)
            for (int i = 0; i < 2; i++) {
                int v = Math.floorMod(i + r, 2);
                intDecode.setBoolean(null, v == 1);
                double t = DecodeProfile.decode(m, prompt, 16);
                double ms = Arrays.stream(DecodeProfile.matmulToken(kinds, par, 4)).sum();
                if (r < 0) continue;
                tps[v][r] = t;
                mm[v][r] = ms;
                System.out.printf("  round %d %-5s decode %.2f tok/s, matmul-only token %.2f ms%n", r, names[v], t, ms);
            }
        intDecode.setBoolean(null, false);
        for (int v = 0; v < 2; v++) {
            var bm = BestMedian.of(tps[v]);
            System.out.printf("%-5s decode %.2f / %.2f tok/s (best / median); matmul-only token %.2f ms (median)%n",
                    names[v], bm.get("best"), bm.get("median"), BestMedian.median(mm[v]));
        }
    }
}
