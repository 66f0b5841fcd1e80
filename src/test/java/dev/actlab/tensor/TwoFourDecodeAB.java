package dev.actlab.tensor;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Decode of one 2:4 file three ways in one process, alternating (the order rotated every round): dense F32, the
 * compressed 8-lane layout (4-bit indices, 9 bytes per 4 inputs) and the wide layout (2-bit positions, 8.5 bytes;
 * the default on AVX-512). Both compressed models give the same logits bit for bit (checked first). Warm-up: enough
 * decodes that the forward pass reaches its optimizing compile before timing. Not a test.
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' dev.actlab.tensor.TwoFourDecodeAB FILE THREADS PROMPT GEN ROUNDS [WARMUP_CALLS]
 */
public final class TwoFourDecodeAB {
    public static void main(String[] args) throws java.io.IOException {
        Parallel.setDefaultThreads(Integer.parseInt(args[1]));
        int promptTokens = Integer.parseInt(args[2]), genTokens = Integer.parseInt(args[3]), rounds = Integer.parseInt(args[4]);
        int warmCalls = args.length > 5 ? Integer.parseInt(args[5]) : 1300;
        LlamaModel dense = ModelLoader.loadDecoder(Path.of(args[0]), false).withParallel(Parallel.shared());
        LlamaModel[] models = {dense, compressed(dense, false), compressed(dense, true)};
        String[] names = {"dense", "8-lane", "wide"};
        SplittableRandom r = new SplittableRandom(1);
        int vocab = dense.config().vocabSize();
        int[] prompt = r.ints(promptTokens, 0, vocab).toArray(), gen = r.ints(genTokens, 0, vocab).toArray();
        float[] a = models[1].forward(models[1].newCache(), prompt, Hooks.none(), false), b = models[2].forward(models[2].newCache(), prompt, Hooks.none(), false);
        if (!Arrays.equals(a, b)) throw new AssertionError("the two compressed layouts' logits differ");
        for (int calls = 0, m = 0; calls < warmCalls; calls += 1 + Math.min(16, genTokens), m = (m + 1) % 3) decode(models[m], prompt, Arrays.copyOf(gen, Math.min(16, genTokens)));
        double[][] tps = new double[3][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < 3; i++) {
                int m = (i + round) % 3;
                tps[m][round] = decode(models[m], prompt, gen);
            }
            System.out.printf("round %d: dense %.2f, 8-lane %.2f (%.3fx), wide %.2f (%.3fx) tok/s%n", round + 1, tps[0][round], tps[1][round],
                    tps[1][round] / tps[0][round], tps[2][round], tps[2][round] / tps[0][round]);
        }
        for (int m = 0; m < 3; m++) {
            double[] ratio = new double[rounds];
            for (int i = 0; i < rounds; i++) ratio[i] = tps[m][i] / tps[0][i];
            System.out.printf("%-7s best %.2f median %.2f tok/s; over dense: ratio of medians %.3fx, of bests %.3fx, median of rounds %.3fx; %,d bytes a token%n", names[m],
                    max(tps[m]), median(tps[m]), median(tps[m]) / median(tps[0]), max(tps[m]) / max(tps[0]), median(ratio), models[m].weights().bytesPerToken());
        }
    }

    static LlamaModel compressed(LlamaModel base, boolean wide) {
        LlamaWeights w = base.weights();
        WeightMatrix[][] m = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
        WeightMatrix[][] c = new WeightMatrix[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
            for (int l = 0; l < c[i].length; l++) c[i][l] = TwoFourF32Matrix.of(c[i][l], wide);
        }
        LlamaWeights cw = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), c[0], c[1], c[2], c[3], w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), c[4], c[6], c[5], w.finalNorm(), w.output());
        return new LlamaModel(base.config(), cw, base.tokenizer(), base.source()).withParallel(base.parallel());
    }

    static double decode(LlamaModel m, int[] prompt, int[] gen) {
        KvCache cache = m.newCache();
        cache.expectPositions(prompt.length + gen.length);
        m.forward(cache, prompt, Hooks.none(), false);
        long t0 = System.nanoTime();
        for (int t : gen) m.forward(cache, new int[]{t}, Hooks.none(), false);
        return gen.length / ((System.nanoTime() - t0) / 1e9);
    }

    static double max(double[] v) { return Arrays.stream(v).max().orElseThrow(); }

    static double median(double[] v) { double[] s = v.clone(); Arrays.sort(s); return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; }
}
