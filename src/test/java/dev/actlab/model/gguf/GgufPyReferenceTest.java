package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.F16Matrix;
import dev.actlab.tensor.Q4_0Matrix;
import dev.actlab.tensor.Q8_0Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Against llama.cpp's own Python package gguf-py: the fixture ggufpy-reference.gguf was written
 * by it (src/test/python/make_ggufpy_fixture.py). Checks our reader on a third-party file, our
 * quantizers byte for byte against gguf-py's, and our dequantizers against gguf-py's.
 */
class GgufPyReferenceTest {
    static GgufFile f;

    @BeforeAll
    static void open() throws Exception {
        f = GgufFile.open(Path.of(GgufPyReferenceTest.class.getResource("/gguf/ggufpy-reference.gguf").toURI()));
    }

    @Test
    void readsEveryMetadataKindWrittenByGgufPy() throws Exception {
        assertEquals(3, f.version());
        assertEquals("llama", f.string("general.architecture", null));
        assertEquals(200L, f.integer("test.u8"));
        assertEquals(-100L, f.integer("test.i8"));
        assertEquals(60000L, f.integer("test.u16"));
        assertEquals(-30000L, f.integer("test.i16"));
        assertEquals(4000000000L, f.integer("test.u32"));
        assertEquals(-2000000000L, f.integer("test.i32"));
        assertEquals(3.25, f.number("test.f32"));
        assertEquals("18000000000000000000", Long.toUnsignedString(f.integer("test.u64")));
        assertEquals(-9000000000000000000L, f.integer("test.i64"));
        assertEquals(-1.0 / 3.0, f.number("test.f64"));
        assertEquals(true, f.metadata().get("test.bool"));
        assertEquals("héllo ▁world", f.string("test.string", null));
        assertEquals(java.util.List.of("a", "", "ünï"), f.metadata().get("test.arr_str"));
        assertArrayEquals(new int[]{1, -2, 3}, (int[]) f.metadata().get("test.arr_i32"));
        assertArrayEquals(new float[]{0.5f, -1.5f}, (float[]) f.metadata().get("test.arr_f32"));
        assertArrayEquals(new boolean[]{true, false, true}, (boolean[]) f.metadata().get("test.arr_bool"));
    }

    static float[] rows(WeightMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, out, r * m.cols());
        return out;
    }

    static byte[] bytes(GgufTensorInfo t) { return f.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE); }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0"})
    void ourQuantizersProduceGgufPysBytes(String type) throws Exception {
        float[] src = rows(f.matrix("src", 4, 256));
        DType t = DType.valueOf(type);
        byte[] ours = new byte[(int) (4 * t.bytesFor(256))];
        MemorySegment m = MemorySegment.ofArray(ours);
        switch (t) {
            case F16 -> F16Matrix.quantize(src, 0, src.length, m, 0);
            case Q8_0 -> Q8_0Matrix.quantize(src, 0, src.length, m, 0);
            default -> Q4_0Matrix.quantize(src, 0, src.length, m, 0);
        }
        assertArrayEquals(bytes(f.require("src." + type)), ours);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q5_K", "Q6_K", "Q8_0", "Q4_1"})
    void ourDequantizationEqualsGgufPys(String type) throws Exception {
        WeightMatrix q = f.matrix("rand." + type, 4, 512);
        assertEquals(DType.valueOf(type), q.dtype());
        float[] expected = rows(f.matrix("rand." + type + ".deq", 4, 512)), ours = rows(q);
        for (int i = 0; i < ours.length; i++)
            assertEquals(expected[i], ours[i], Math.abs(expected[i]) * 1e-6f, type + " element " + i);
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1"})
    void ggufPyQuantizedSourceDequantizesCloseToTheSource(String type) throws Exception {
        float[] src = rows(f.matrix("src", 4, 256)), deq = rows(f.matrix("src." + type, 4, 256));
        float amax = 0;
        for (float v : src) amax = Math.max(amax, Math.abs(v));
        float bound = switch (type) { case "F16" -> amax * 0x1p-10f; case "BF16" -> amax * 0x1p-7f; case "Q8_0" -> amax / 100; default -> amax / 6; };
        for (int i = 0; i < src.length; i++) assertEquals(src[i], deq[i], bound, type + " at " + i);
        assertFalse(Arrays.equals(src, deq) && !type.equals("F16"), "quantization changed nothing");
    }
}
