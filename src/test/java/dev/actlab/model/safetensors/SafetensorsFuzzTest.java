package dev.actlab.model.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of corruptions of a valid file: every one must be read fine or rejected with a
 * FormatException; never another exception, never an allocation the file cannot back.
 */
class SafetensorsFuzzTest {
    private static final String[] NUMBERS = {"0", "1", "-1", "7", "8", "4294967296", "9223372036854775807", "18446744073709551615",
            "99999999999999999999999", "1e308", "-0", "2.5", "null", "\"3\"", "[]", "{}", "true", "65536", "1099511627776"};
    private static final String[] TOKENS = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\"dtype\"", "\"shape\"", "\"data_offsets\"",
            "\"F32\"", "\"BF16\"", "\"I8\"", "\"F64\"", "\"__metadata__\"", "\uFFFF", "\u0000"};

    @TempDir Path tmp;

    @Test
    void corruptionsFailOnlyWithFormatException() throws Exception {
        Path valid = tmp.resolve("v.safetensors");
        Random r = new Random(42);
        float[] a = new float[24], b = new float[6], c = new float[5];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        new SafetensorsWriter().metadata("format", "pt").addF32("w.a", a, 4, 6).add("w.b", DType.BF16, b, 2, 3)
                .add("w.c", DType.F16, c, 5).write(valid);
        byte[] original = Files.readAllBytes(valid);
        int headerLen = (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(original, 8, headerLen, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(original, 8 + headerLen, original.length);

        int accepted = 0, rejected = 0;
        long start = System.nanoTime();
        for (int iter = 0; iter < 20000; iter++) {
            byte[] bytes;
            String what;
            switch (r.nextInt(6)) {
                case 0 -> {   // flip random bytes anywhere in the first part of the file
                    bytes = original.clone();
                    int flips = 1 + r.nextInt(4);
                    for (int k = 0; k < flips; k++) bytes[r.nextInt(Math.min(bytes.length, 8 + headerLen + 8))] ^= (byte) (1 << r.nextInt(8));
                    what = "byte flips";
                }
                case 1 -> {   // a random header length
                    bytes = original.clone();
                    long[] choices = {0, 1, 2, -1, Long.MIN_VALUE, Long.MAX_VALUE, headerLen - 1, headerLen + 1, original.length, 100_000_001L, r.nextLong()};
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, choices[r.nextInt(choices.length)]);
                    what = "header length";
                }
                case 2 -> {   // replace a number in the header by a hostile one
                    String h = replaceRandom(header, "\\d+", NUMBERS[r.nextInt(NUMBERS.length)], r);
                    bytes = SafetensorsRoundTripTest.file(h, data);
                    what = "number -> " + h;
                }
                case 3 -> {   // insert or delete a JSON token
                    StringBuilder h = new StringBuilder(header);
                    int at = r.nextInt(h.length());
                    if (r.nextBoolean()) h.insert(at, TOKENS[r.nextInt(TOKENS.length)]);
                    else h.delete(at, Math.min(h.length(), at + 1 + r.nextInt(6)));
                    bytes = SafetensorsRoundTripTest.file(h.toString(), data);
                    what = "token edit -> " + h;
                }
                case 4 -> {   // truncate or extend the file
                    int len = r.nextBoolean() ? r.nextInt(original.length) : original.length + 1 + r.nextInt(64);
                    bytes = Arrays.copyOf(original, len);
                    what = "length " + len;
                }
                default -> {   // huge shapes with offsets left as they are
                    String h = replaceRandom(header, "\\[\\d+(,\\d+)*\\]", "[" + (1L << r.nextInt(63)) + "," + (1L << r.nextInt(63)) + "]", r);
                    bytes = SafetensorsRoundTripTest.file(h, data);
                    what = "shape -> " + h;
                }
            }
            try {
                SafetensorsFile f = SafetensorsRoundTripTest.read(bytes);
                for (SafetensorsFile.Tensor t : f.tensors().values())
                    if (t.dtype() == DType.F32 || t.dtype() == DType.F16 || t.dtype() == DType.BF16) f.toFloats(t);
                accepted++;
            } catch (FormatException e) {
                assertNotNull(e.field());
                rejected++;
            } catch (Throwable e) {
                fail("iteration " + iter + " (" + what + ") threw " + e, e);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("safetensors fuzz: %d accepted, %d rejected with FormatException, %.1f s%n", accepted, rejected, seconds);
        assertTrue(rejected > 10000, "most corruptions must be rejected, got " + rejected);
    }

    private static String replaceRandom(String s, String regex, String replacement, Random r) {
        var m = java.util.regex.Pattern.compile(regex).matcher(s);
        java.util.List<int[]> spans = new java.util.ArrayList<>();
        while (m.find()) spans.add(new int[]{m.start(), m.end()});
        if (spans.isEmpty()) return s;
        int[] sp = spans.get(r.nextInt(spans.size()));
        return s.substring(0, sp[0]) + replacement + s.substring(sp[1]);
    }
}
