package dev.actlab.model.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir Path tmp;

    /** A file laid out by hand from the format description: u64 header length, JSON, data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    static SafetensorsFile read(byte[] bytes) throws FormatException {
        return SafetensorsFile.read(MappedFile.of(Path.of("test.safetensors"), MemorySegment.ofArray(bytes)));
    }

    static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    @Test
    void readsAHandMadeFile() throws Exception {
        // F32 [2] = {1.5, -2}; BF16 [1] = 0x3FC0 = 1.5; F16 [1] = 0xC000 = -2
        byte[] data = new byte[12];
        System.arraycopy(le(1.5f, -2f), 0, data, 0, 8);
        data[8] = (byte) 0xC0; data[9] = 0x3F; data[10] = 0x00; data[11] = (byte) 0xC0;
        SafetensorsFile f = read(file("""
                {"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "b":{"dtype":"BF16","shape":[1,1],"data_offsets":[8,10]},"c":{"dtype":"F16","shape":[],"data_offsets":[10,12]}}""", data));
        assertEquals(Map.of("format", "pt"), f.metadata());
        assertArrayEquals(new float[]{1.5f, -2f}, f.floats("a", 2));
        assertArrayEquals(new float[]{1.5f}, f.floats("b", 1, 1));
        assertArrayEquals(new float[]{-2f}, f.floats("c"));
        assertEquals(DType.BF16, f.tensor("b").dtype());
        FormatException e = assertThrows(FormatException.class, () -> f.floats("a", 1, 2));
        assertEquals("tensor 'a'.shape", e.field());
    }

    @Test
    void writerRoundTripsF32ExactlyAndRoundsHalfPrecisionToNearestEven() throws Exception {
        Random r = new Random(1);
        float[] f32 = new float[1000];
        for (int i = 0; i < f32.length; i++) f32[i] = (float) r.nextGaussian() * 100;
        f32[0] = Float.NaN; f32[1] = Float.NEGATIVE_INFINITY; f32[2] = -0f; f32[3] = Float.MIN_VALUE;
        // F16-representable values come back exactly: small integers and halves, 2^-14 (smallest normal), 65504 (largest)
        float[] f16 = {0, 1, -1, 0.5f, 1.5f, 1024, -1023.5f, 0x1p-14f, 65504, 0x1p-24f};
        // BF16 by hand: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 -> even mantissa, 1.
        //               1 + 3*2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even) -> 1 + 2^-6.
        //               1 + 2^-8 + 2^-20 is above halfway -> 1 + 2^-7. 3.0 is exact.
        float[] bf16 = {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1p-8f + 0x1p-20f, 3f, -(1 + 0x1p-8f)};
        float[] bf16Expected = {1f, 1 + 0x1p-6f, 1 + 0x1p-7f, 3f, -1f};
        Path out = tmp.resolve("t.safetensors");
        new SafetensorsWriter().metadata("source", "test ü").addF32("x.f32", f32, 10, 100)
                .add("y.f16", DType.F16, f16, 2, 5).add("z.bf16", DType.BF16, bf16, 5).write(out);
        assertEquals(1, Files.list(tmp).count(), "the temporary file is gone");
        byte[] bytes = Files.readAllBytes(out);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        assertEquals(bytes.length, 8 + n + 4 * 1000 + 2 * 10 + 2 * 5);

        SafetensorsFile f = SafetensorsFile.open(out);
        assertEquals("test ü", f.metadata().get("source"));
        assertEquals(java.util.List.of("x.f32", "y.f16", "z.bf16"), java.util.List.copyOf(f.tensors().keySet()));
        float[] back = f.floats("x.f32", 10, 100);
        for (int i = 0; i < f32.length; i++) assertEquals(Float.floatToRawIntBits(f32[i]), Float.floatToRawIntBits(back[i]), "index " + i);
        assertArrayEquals(f16, f.floats("y.f16", 2, 5));
        assertArrayEquals(bf16Expected, f.floats("z.bf16", 5));
        assertEquals(100, f.matrix("x.f32", 10, 100).cols());
        assertEquals(f32[150], f.matrix("x.f32", 10, 100).dotScalar(1, oneHot(100, 50), 0));
    }

    static float[] oneHot(int n, int i) { float[] v = new float[n]; v[i] = 1; return v; }

    @Test
    void headerProblemsNameTensorKeyAndOffset() {
        byte[] d8 = new byte[8];
        assertField("tensor 'a'.shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d8);
        assertField("tensor 'a'.data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", d8);
        assertField("tensor 'b'.data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d8);   // overlap
        assertField("data buffer", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d8);   // 4 trailing bytes
        assertField("tensor 'a'.dtype", "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", d8);
        assertField("tensor 'a'.shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", d8);
        assertField("tensor 'a'.shape[0]", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d8);
        assertField("header", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{}}", d8);   // duplicate key
        assertField("__metadata__.k", "{\"__metadata__\":{\"k\":1}}", new byte[0]);
        byte[] bad = file("{}", new byte[0]);
        bad[7] = 0x7F;   // header length 2^63-ish
        FormatException e = assertThrows(FormatException.class, () -> read(bad));
        assertEquals("header length", e.field());
        assertEquals(0, e.offset());
    }

    private static void assertField(String field, String header, byte[] data) {
        FormatException e = assertThrows(FormatException.class, () -> read(file(header, data)), header);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith("test.safetensors: "), e.getMessage());
        assertTrue(e.offset() >= 8 || field.equals("header length"), "offset " + e.offset());
    }

    @Test
    void missingFileIsAnIOException() {
        assertThrows(IOException.class, () -> SafetensorsFile.open(tmp.resolve("absent.safetensors")));
    }
}
