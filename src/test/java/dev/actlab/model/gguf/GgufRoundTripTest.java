package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GgufWriter then GgufFile: every metadata kind and every tensor type comes back bit for bit. */
class GgufRoundTripTest {
    @TempDir Path dir;

    static Map<String, GgufValue> everyKind() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("k.u8", GgufValue.of(GgufValueType.UINT8, (byte) 0xF0));
        m.put("k.i8", GgufValue.of(GgufValueType.INT8, (byte) -7));
        m.put("k.u16", GgufValue.of(GgufValueType.UINT16, (short) 0xFFFE));
        m.put("k.i16", GgufValue.of(GgufValueType.INT16, (short) -300));
        m.put("k.u32", GgufValue.of(GgufValueType.UINT32, 0xFFFFFFF0));
        m.put("k.i32", GgufValue.of(GgufValueType.INT32, -123456));
        m.put("k.u64", GgufValue.of(GgufValueType.UINT64, -2L));
        m.put("k.i64", GgufValue.of(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("k.f32", GgufValue.of(GgufValueType.FLOAT32, Float.intBitsToFloat(0x7fc00001)));   // a NaN payload survives
        m.put("k.f64", GgufValue.of(GgufValueType.FLOAT64, Math.PI));
        m.put("k.bool", GgufValue.of(GgufValueType.BOOL, false));
        m.put("k.str", GgufValue.string("ünïcödé ▁tokens"));
        m.put("k.empty", GgufValue.string(""));
        m.put("a.u8", GgufValue.array(GgufValueType.UINT8, new byte[]{1, (byte) 255}));
        m.put("a.i8", GgufValue.array(GgufValueType.INT8, new byte[]{-1}));
        m.put("a.u16", GgufValue.array(GgufValueType.UINT16, new short[]{1, -1}));
        m.put("a.i16", GgufValue.array(GgufValueType.INT16, new short[]{}));
        m.put("a.u32", GgufValue.array(GgufValueType.UINT32, new int[]{7, -7}));
        m.put("a.i32", GgufValue.array(GgufValueType.INT32, new int[]{3, 1, 4, 1, 5}));
        m.put("a.u64", GgufValue.array(GgufValueType.UINT64, new long[]{-1L}));
        m.put("a.i64", GgufValue.array(GgufValueType.INT64, new long[]{42L, -42L}));
        m.put("a.f32", GgufValue.array(GgufValueType.FLOAT32, new float[]{1.5f, -0f, Float.NEGATIVE_INFINITY}));
        m.put("a.f64", GgufValue.array(GgufValueType.FLOAT64, new double[]{1e300}));
        m.put("a.bool", GgufValue.array(GgufValueType.BOOL, new boolean[]{true, false}));
        m.put("a.str", GgufValue.array(GgufValueType.STRING, new String[]{"<s>", "", "▁the"}));
        m.put("a.nested", GgufValue.array(GgufValueType.ARRAY, new GgufValue[]{
                GgufValue.array(GgufValueType.INT32, new int[]{1, 2}), GgufValue.array(GgufValueType.STRING, new String[]{"x"})}));
        return m;
    }

    @Test
    void metadataOfEveryKindRoundTrips() throws Exception {
        GgufWriter w = new GgufWriter();
        everyKind().forEach(w::put);
        Path p = dir.resolve("meta.gguf");
        w.write(p);
        GgufFile f = GgufFile.open(p);
        assertEquals(everyKind(), f.entries());
        assertEquals(Float.floatToRawIntBits(Float.intBitsToFloat(0x7fc00001)), Float.floatToRawIntBits((Float) f.metadata().get("k.f32")));
        assertEquals(0xFFFFFFF0L, f.integer("k.u32"));
        assertEquals(0xF0L, f.integer("k.u8"));
        assertTrue(f.tensors().isEmpty());
    }

    @Test
    void tensorsOfEveryWrittenTypeRoundTripBitExactly() throws Exception {
        int rows = 5, cols = 96;
        float[] src = new float[rows * cols];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
        GgufWriter w = new GgufWriter();
        for (DType t : new DType[]{DType.F32, DType.F16, DType.Q8_0, DType.Q4_0})
            w.tensor("w." + t, t, new long[]{cols, rows}, (row, dst) -> System.arraycopy(src, (int) row * cols, dst, 0, cols));
        w.tensor("vec", DType.F32, new long[]{7}, (row, dst) -> { for (int i = 0; i < 7; i++) dst[i] = i; });
        // raw bytes of a type the writer cannot quantize to: copied through unchanged
        byte[] q6 = new byte[2 * 210];
        for (int i = 0; i < q6.length; i++) q6[i] = (byte) r.nextInt(256);
        w.rawTensor("raw.q6k", GgmlType.Q6_K, new long[]{256, 2}, MemorySegment.ofArray(q6));
        w.put("general.architecture", GgufValue.string("test"));
        Path p = dir.resolve("t.gguf");
        w.write(p);

        GgufFile f = GgufFile.open(p);
        for (GgufTensorInfo t : f.tensors()) assertEquals(0, (t.fileOffset() - f.dataOffset()) % 32, t.name() + " aligned");
        assertEquals(0, f.dataOffset() % 32);
        WeightMatrix f32 = f.matrix("w.F32", rows, cols);
        float[] back = new float[cols];
        for (int row = 0; row < rows; row++) {
            f32.dequantizeRow(row, back, 0);
            for (int c = 0; c < cols; c++) assertEquals(Float.floatToRawIntBits(src[row * cols + c]), Float.floatToRawIntBits(back[c]));
        }
        for (DType t : new DType[]{DType.F16, DType.Q8_0, DType.Q4_0}) {
            byte[] expected = new byte[(int) (rows * t.bytesFor(cols))];
            MemorySegment m = MemorySegment.ofArray(expected);
            for (int row = 0; row < rows; row++) {
                long o = row * t.bytesFor(cols);
                switch (t) {
                    case F16 -> dev.actlab.tensor.F16Matrix.quantize(src, row * cols, cols, m, o);
                    case Q8_0 -> dev.actlab.tensor.Q8_0Matrix.quantize(src, row * cols, cols, m, o);
                    default -> dev.actlab.tensor.Q4_0Matrix.quantize(src, row * cols, cols, m, o);
                }
            }
            assertArrayEquals(expected, f.data(f.require("w." + t)).toArray(ValueLayout.JAVA_BYTE), t.toString());
            assertEquals(t, f.matrix("w." + t, rows, cols).dtype());
        }
        assertArrayEquals(new float[]{0, 1, 2, 3, 4, 5, 6}, f.vector("vec", 7));
        assertArrayEquals(q6, f.data(f.require("raw.q6k")).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(DType.Q6_K, f.matrix("raw.q6k", 2, 256).dtype());
    }

    @Test
    void aFailedWriteLeavesNoFileBehind() throws Exception {
        GgufWriter w = new GgufWriter();
        w.tensor("boom", DType.F32, new long[]{32, 4}, (row, dst) -> { if (row == 3) throw new IllegalStateException("source failed"); });
        Path p = dir.resolve("x.gguf");
        assertThrows(IllegalStateException.class, () -> w.write(p));
        try (var s = Files.list(dir)) { assertEquals(0, s.count()); }
    }

    @Test
    void wrongShapesAndUnknownTypesNameTheField() throws Exception {
        GgufWriter w = new GgufWriter();
        w.tensor("a", DType.F32, new long[]{32, 4}, (row, dst) -> {});
        Path p = dir.resolve("s.gguf");
        w.write(p);
        GgufFile f = GgufFile.open(p);
        FormatException e = assertThrows(FormatException.class, () -> f.matrix("a", 32, 4));
        assertEquals("a", e.field());
        assertThrows(FormatException.class, () -> f.matrix("missing", 1, 1));
        // patch the tensor's type id to 99
        byte[] b = Files.readAllBytes(p);
        long typeAt = f.dataOffset();   // search backwards for the type field: name "a" (8 + 1), n_dims, 2 dims, type
        int infoStart = indexOf(b, new byte[]{1, 0, 0, 0, 0, 0, 0, 0, 'a'});
        int typeField = infoStart + 9 + 4 + 16;
        b[typeField] = 99;
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, b);
        FormatException u = assertThrows(FormatException.class, () -> GgufFile.open(bad));
        assertTrue(u.getMessage().contains("unknown ggml type id 99"), u.getMessage());
        assertEquals("tensor_info[0].type", u.field());
        assertEquals(typeField, u.offset());
        assertTrue(typeAt > typeField);
    }

    @Test
    void version2ReadsLikeVersion3AndOtherVersionsAreRefused() throws Exception {
        GgufWriter w = new GgufWriter();
        everyKind().forEach(w::put);
        w.tensor("t", DType.Q8_0, new long[]{64, 2}, (row, dst) -> java.util.Arrays.fill(dst, row + 1));
        Path p = dir.resolve("v.gguf");
        w.write(p);
        byte[] b = Files.readAllBytes(p);
        b[4] = 2;
        Path v2 = dir.resolve("v2.gguf");
        Files.write(v2, b);
        GgufFile f = GgufFile.open(v2);
        assertEquals(2, f.version());
        assertEquals(everyKind(), f.entries());
        float[] t = new float[128];   // row 0 all 1, row 1 all 2 (to Q8_0 precision)
        WeightMatrix m = f.matrix("t", 2, 64);
        m.dequantizeRow(0, t, 0);
        m.dequantizeRow(1, t, 64);
        assertEquals(1f, t[0], 1e-3f);
        assertEquals(2f, t[127], 2e-3f);
        for (byte v : new byte[]{1, 4}) {
            b[4] = v;
            Path bad = dir.resolve("v" + v + ".gguf");
            Files.write(bad, b);
            FormatException e = assertThrows(FormatException.class, () -> GgufFile.open(bad));
            assertEquals("version", e.field());
            assertEquals(4, e.offset());
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
