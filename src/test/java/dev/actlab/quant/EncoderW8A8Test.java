package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import dev.actlab.tensor.Parallel;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MiniLM W8A8 against the int8 model LangChain4j ships for ONNX Runtime, both measured here on the
 * built-in evaluation sentences: each engine's int8 embeddings against its own FP32 embeddings.
 */
class EncoderW8A8Test {
    static BertModel fp32;
    static int[][] ids;
    static float[][] actlab32, ort32, ort8;
    static EncoderQuality ort;

    @BeforeAll static void load() throws Exception {
        fp32 = MiniLm.load();
        List<String> texts = EncoderW8A8.evaluationText();
        ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = fp32.tokenizer().encode(texts.get(i), true);
        actlab32 = embed(fp32);
        try (OnnxRuntimeEncoder o32 = new OnnxRuntimeEncoder(MiniLm.resource(MiniLm.ONNX_RESOURCE), 1);
             OnnxRuntimeEncoder o8 = new OnnxRuntimeEncoder(MiniLm.resource(MiniLm.ONNX_INT8_RESOURCE), 1)) {
            ort32 = o32.meanPooledNormalized(ids, fp32.tokenizer().padId());
            ort8 = o8.meanPooledNormalized(ids, fp32.tokenizer().padId());
        }
        ort = EncoderQuality.of(ort32, ort8);
    }

    static float[][] embed(BertModel m) {
        var out = m.forward(ids, null, Hooks.none());
        float[][] e = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) e[i] = out.meanPooledNormalized(i);
        return e;
    }

    @Test void ortReferencesAreWhatTheyClaim() {
        // actlab FP32 is the FP32 reference of both: it must agree with ONNX Runtime FP32
        assertTrue(EncoderQuality.of(ort32, actlab32).minCosine() > 0.99999, "actlab FP32 = ORT FP32");
        // the int8 model really is a different (quantized) model, else the bound below would be vacuous
        assertTrue(ort.meanCosine() < 0.9995, "ORT int8 differs from FP32: mean cosine " + ort.meanCosine());
    }

    /**
     * The bound: W8A8's mean cosine error (1 - cos) at most a fifth of ONNX Runtime int8's, its
     * worst sentence no worse than ORT int8's mean, on either kernel.
     */
    @Test void w8a8IsCloserToFp32ThanOrtInt8() throws Exception {
        for (String recipe : new String[]{"w8a8", "w8a8:smooth+int16"}) {
            BertModel q = EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.parse(recipe));
            EncoderQuality a = EncoderQuality.of(actlab32, embed(q));
            String msg = recipe + ": actlab " + a + " vs ORT int8 " + ort;
            assertTrue(1 - a.meanCosine() <= (1 - ort.meanCosine()) / 5, msg);
            assertTrue(a.minCosine() >= ort.meanCosine(), msg);
            assertTrue(a.neighbourAgreement() >= ort.neighbourAgreement(), msg);
        }
    }

    @Test void smoothingHelpsAndBothKernelsAgree() throws Exception {
        float[][] smoothFma = embed(EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.parse("w8a8:smooth+fma")));
        float[][] smoothInt = embed(EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.parse("w8a8:smooth+int16")));
        float[][] rtn = embed(EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.parse("w8a8:rtn")));
        EncoderQuality s = EncoderQuality.of(actlab32, smoothFma), r = EncoderQuality.of(actlab32, rtn);
        assertTrue(s.meanCosine() > r.meanCosine(), "smooth " + s + " vs rtn " + r);
        // the same integer arithmetic (MiniLM's sums stay below 2^24 in float): only the float epilogue order may differ
        assertTrue(EncoderQuality.of(smoothInt, smoothFma).minCosine() > 0.999999, "int16 and fma kernels agree");
        // int8 panels widened per task or once at load: the same arithmetic, the same bits
        float[][] smoothFma8 = embed(EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.parse("w8a8:smooth+fma8")));
        for (int i = 0; i < smoothFma.length; i++) assertArrayEquals(smoothFma[i], smoothFma8[i], "sentence " + i);
    }

    @Test void sameBitsOnOneAndTwoThreads() throws Exception {
        BertModel q = EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.DEFAULT);
        float[] one, two;
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            one = q.withParallel(p1).forward(ids, null, Hooks.none()).hidden();
            two = q.withParallel(p2).forward(ids, null, Hooks.none()).hidden();
        }
        assertArrayEquals(one, two);
    }

    /**
     * The LayerNorm quantizing its rows for the next int8 layers (EncoderChoice.quantizeInNorm) gives the
     * bits of the separate quantizing pass, and a hook on the residual stream (which turns the fusion off
     * around it) changes nothing either.
     */
    @Test void quantizingInTheNormGivesTheSameBits() throws Exception {
        BertModel q = EncoderW8A8.quantize(fp32, EncoderW8A8.Spec.DEFAULT);
        float[] fused, separate, hooked;
        try (Parallel p2 = new Parallel(2)) {
            q.withParallel(p2);
            fused = q.forward(ids, null, Hooks.none()).hidden();
            hooked = q.forward(ids, null, Hooks.of("blocks.3.hook_resid_pre", a -> {})).hidden();
            dev.actlab.model.bert.EncoderChoice.quantizeInNorm = false;
            try { separate = q.forward(ids, null, Hooks.none()).hidden(); }
            finally { dev.actlab.model.bert.EncoderChoice.quantizeInNorm = true; }
        }
        assertArrayEquals(separate, fused);
        assertArrayEquals(separate, hooked);
        // a batch-1 input (quantized on the calling thread): the same bits as within the batch
        float[] single = q.forward(new int[][]{ids[5]}, null, Hooks.none()).hidden();
        int off = 0;
        for (int b = 0; b < 5; b++) off += ids[b].length;
        assertArrayEquals(java.util.Arrays.copyOfRange(separate, off * 384, (off + ids[5].length) * 384), single);
    }

    @Test void specGrammar() {
        assertEquals(EncoderW8A8.Spec.DEFAULT, EncoderW8A8.Spec.parse("W8A8"));
        assertEquals(new EncoderW8A8.Spec(false, 0.6f, EncoderW8A8.Kernel.INT16), EncoderW8A8.Spec.parse("w8a8:rtn+int16"));
        assertEquals(new EncoderW8A8.Spec(true, 0.8f, EncoderW8A8.Kernel.FMA8), EncoderW8A8.Spec.parse("w8a8:smooth(0.8)"));
        assertEquals(new EncoderW8A8.Spec(true, 0.6f, EncoderW8A8.Kernel.FMA8), EncoderW8A8.Spec.parse("w8a8:smooth+fma8"));
        for (String bad : new String[]{"w4a8", "w8a8:gptq", "w8a8:smooth(x)", "w8a8:smooth(1.5)"})
            assertThrows(IllegalArgumentException.class, () -> EncoderW8A8.Spec.parse(bad), bad);
    }
}
