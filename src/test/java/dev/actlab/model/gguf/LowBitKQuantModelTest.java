package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Q2_K and Q3_K run natively: whole models written by actlab's K-quant writers run in their stored
 * type and give the logits of the same model dequantized to F32; the decoders equal gguf-py's.
 * <ul>
 * <li>decoders: llama-quantize's blocks of real rows (kquant-rows-TYPE.gguf, scripts/fixtures/kquant_llamacpp.py)
 *     decoded by actlab give exactly the float32 bits of gguf-py's numpy dequantizer (a committed sha256);</li>
 * <li>models: src/test/resources/gguf/kquant-Q4_K.gguf (every matrix 256 columns: all of them in the type) and
 *     the default decoder models/actlab-brown.gguf (its matrices whose rows are whole 256-blocks in the type, the
 *     others in llama-quantize's fallback or F16). Logits against the same model dequantized to F32
 *     (GgufLlamaWriter F32 export, run again): the weights are the same, only the dot-product path differs
 *     (dequantize-in-register with per-sub-block sums against plain F32 dots), so they agree to float32
 *     rounding: |diff| <= 1e-5 * max|logit|. Decoding token by token equals the prefill to the same bound,
 *     and one or two threads give the same bits.</li>
 * </ul>
 */
class LowBitKQuantModelTest {
    @TempDir Path dir;

    static Path resource(String name) throws Exception {
        return Path.of(LowBitKQuantModelTest.class.getResource("/gguf/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void decodersEqualGgufPy(String type) throws Exception {
        GgufFile f = GgufFile.open(resource("kquant-rows-" + type + ".gguf"));
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (GgufTensorInfo t : f.tensors()) {
            int rows = (int) t.dims()[1], cols = (int) t.dims()[0];
            WeightMatrix w = f.matrix(t.name(), rows, cols);
            assertEquals(DType.valueOf(type), w.dtype());
            float[] row = new float[cols];
            ByteBuffer b = ByteBuffer.allocate(4 * cols).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(r, row, 0);
                b.clear();
                for (float v : row) b.putFloat(v);
                md.update(b.flip());
            }
        }
        String expected = Files.readAllLines(resource("kquant-rows-dequant-sha256.txt")).stream()
                .filter(l -> l.startsWith(type + " ")).findFirst().orElseThrow().split(" ")[1];
        assertEquals(expected, HexFormat.of().formatHex(md.digest()), type + ": decoded bits equal gguf-py's");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K"})
    void everyMatrixInTheTypeGivesTheDequantizedModelsLogits(String type) throws Exception {
        LlamaModel source = GgufLlamaLoader.load(GgufFile.open(resource("kquant-Q4_K.gguf")));
        LlamaModel q = roundTrip(source, DType.valueOf(type));
        var w = q.weights();
        for (WeightMatrix m : new WeightMatrix[]{w.wq()[0], w.wk()[1], w.wv()[0], w.wo()[1], w.wGate()[0], w.wUp()[1], w.wDown()[0], w.output()})
            assertEquals(DType.valueOf(type), m.dtype(), "matrices run in their stored type");
        checkAgainstDequantized(q, type, new int[]{1, 17, 42, 5, 88, 63, 17, 9, 0, 95, 31, 42, 7, 50});
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K"})
    void defaultDecoderInTheTypeGivesTheDequantizedModelsLogits(String type) throws Exception {
        LlamaModel source = GgufLlamaLoader.load(GgufFile.open(Path.of("models/actlab-brown.gguf")));
        LlamaModel q = roundTrip(source, DType.valueOf(type));
        int whole = 0;
        for (int l = 0; l < q.config().layers(); l++) {
            WeightMatrix down = q.weights().wDown()[l];
            DType expected = GgufLlamaWriter.storedType(new GgufLlamaWriter.Slot("down", down.rows(), down.cols(), true), DType.valueOf(type));
            assertEquals(expected, down.dtype());
            if (expected == DType.valueOf(type)) whole++;
        }
        assertTrue(whole > 0, "the default decoder has matrices whose rows are whole 256-blocks (ffn_down)");
        int vocab = q.vocabSize();
        int[] tokens = new int[12];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (int) ((i * 977L + 256) % vocab);
        checkAgainstDequantized(q, type, tokens);
    }

    private LlamaModel roundTrip(LlamaModel m, DType type) throws Exception {
        Path p = dir.resolve(type + ".gguf");
        GgufLlamaWriter.export(m, type, "test").write(p);
        return GgufLlamaLoader.load(GgufFile.open(p));
    }

    private void checkAgainstDequantized(LlamaModel q, String type, int[] tokens) throws Exception {
        float[] logits = q.forward(q.newCache(), tokens, Hooks.none(), true);
        Path f32 = dir.resolve(type + "-as-F32.gguf");
        GgufLlamaWriter.export(q, DType.F32, type + " dequantized").write(f32);
        LlamaModel d = GgufLlamaLoader.load(GgufFile.open(f32));
        assertEquals(DType.F32, d.weights().wDown()[0].dtype());
        float scale = KQuantModelTest.maxAbs(logits);
        float vsF32 = KQuantModelTest.maxAbsDiff(logits, d.forward(d.newCache(), tokens, Hooks.none(), true));
        System.out.printf("%s: max |%s - F32 dequantized| = %.3g (max |logit| %.3g)%n", q.source(), type, vsF32, scale);
        assertTrue(vsF32 <= 1e-5f * scale, type + ": max |K-quant - dequantized F32| = " + vsF32);

        var cache = q.newCache();
        int vocab = q.vocabSize();
        for (int t = 0; t < tokens.length; t++) {
            float[] step = q.forward(cache, new int[]{tokens[t]}, Hooks.none(), false);
            float[] prefillRow = Arrays.copyOfRange(logits, t * vocab, (t + 1) * vocab);
            assertTrue(KQuantModelTest.maxAbsDiff(step, prefillRow) <= 1e-5f * scale, type + " decode position " + t);
        }
        Parallel saved = q.parallel();
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            float[] a = q.withParallel(one).forward(q.newCache(), tokens, Hooks.none(), true);
            float[] b = q.withParallel(two).forward(q.newCache(), tokens, Hooks.none(), true);
            assertArrayEquals(a, b, type + ": one and two threads give the same bits");
        } finally { q.withParallel(saved); }
    }
}
