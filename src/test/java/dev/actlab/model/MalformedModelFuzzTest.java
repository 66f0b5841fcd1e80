package dev.actlab.model;

import dev.actlab.io.FormatException;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.gguf.GgmlType;
import dev.actlab.model.gguf.GgufBytes;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufValueType;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.io.MappedFile;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of corrupted model files (byte flips, truncations, huge counts, lengths and dims):
 * loading must fail with a FormatException or succeed, never with another exception and never
 * by trying to allocate what the file cannot hold. Corrupted tensor regions (overlap, type change,
 * count mismatch) must always fail; non-finite weights and hyperparameters must never reach an
 * answer.
 */
class MalformedModelFuzzTest {
    @TempDir Path dir;

    interface Loader { void load(MappedFile f) throws Exception; }

    static final long[] HUGE = {0, 1, -1, 0xFFFFFFFFL, 0x7FFFFFFFL, 0x80000000L, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 255, 65535};

    /** A small valid GGUF llama with every written tensor type and array-heavy metadata. */
    Path smallGguf() throws Exception {
        LlamaConfig c = new LlamaConfig("llama", 64, 96, 2, 4, 2, 64, 32, 1e-5f, 10000f, false, null, false);
        GgufWriter w = new GgufWriter();
        GgufLlamaWriter.putConfig(w, c, "fuzz");
        String[] tokens = new String[64];
        float[] scores = new float[64];
        int[] types = new int[64];
        for (int i = 0; i < 64; i++) { tokens[i] = "t" + i; scores[i] = -i; types[i] = 1; }
        w.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        DType[] cycle = {DType.Q8_0, DType.Q4_0, DType.F16, DType.F32};
        SplittableRandom r = new SplittableRandom(1);
        int i = 0;
        for (GgufLlamaWriter.Slot s : GgufLlamaWriter.slots(c, false)) {
            DType t = s.matrix() ? cycle[i++ % cycle.length] : DType.F32;
            w.tensor(s.name(), t, s.dims(), (row, dst) -> { for (int k = 0; k < dst.length; k++) dst[k] = (float) r.nextGaussian() * 0.1f; });
        }
        Path p = dir.resolve("small.gguf");
        w.write(p);
        return p;
    }

    @Test
    void corruptGgufAndLlama2cFilesFailOnlyWithFormatException() throws Exception {
        byte[] gguf = Files.readAllBytes(smallGguf());
        GgufLlamaLoader.load(MappedFile.of(Path.of("small.gguf"), MemorySegment.ofArray(gguf)));   // valid as written
        int ggufHeader = headerEnd(gguf);
        int[] fields = ggufFieldOffsets(gguf);
        long deadline = System.nanoTime() + 20_000_000_000L;
        int runs = fuzz("gguf", gguf, ggufHeader, fields, 6000, 11, f -> GgufLlamaLoader.load(f), deadline);

        Path stories = Shared.stories260K();
        byte[] l2c = Files.readAllBytes(stories);
        Llama2cReader.read(MappedFile.of(stories, MemorySegment.ofArray(l2c)));
        int[] header = {0, 4, 8, 12, 16, 20, 24};
        runs += fuzz("llama2.c", l2c, 28, header, 2000, 12, f -> Llama2cReader.read(f), deadline);
        System.out.println("fuzz: " + runs + " corrupted files, all rejected with FormatException or loaded");
        assertTrue(runs >= 2000, "only " + runs + " mutations ran within the time budget");
    }

    /**
     * Issue 23: structured corruption of the tensor regions, each of which loaded and produced
     * garbage before: an offset moved onto another tensor (overlap), a type id changed so the byte
     * size no longer matches the region, the tensor count or block_count changed (count mismatch).
     * Every such file must be refused with a FormatException; a type change that keeps the byte size
     * (F16 and BF16, say) cannot be seen in the layout and may load.
     */
    @Test
    void tensorRegionCorruptionIsAlwaysRejected() throws Exception {
        byte[] valid = Files.readAllBytes(smallGguf());
        var f = dev.actlab.model.gguf.GgufFile.read(MappedFile.of(Path.of("x"), MemorySegment.ofArray(valid)));
        var tensors = f.tensors();
        GgmlType[] types = GgmlType.values();
        SplittableRandom r = new SplittableRandom(23);
        int overlaps = 0, typeChanges = 0, counts = 0, sameSize = 0;
        for (int i = 0; i < 1500; i++) {
            byte[] b = valid.clone();
            var t = tensors.get(r.nextInt(tensors.size()));
            String how;
            boolean mustFail = true;
            switch (r.nextInt(4)) {
                case 0 -> {   // overlap: onto another tensor's region, or a random aligned place inside one
                    var other = tensors.get(r.nextInt(tensors.size()));
                    long rel = other.fileOffset() - f.dataOffset() + (r.nextBoolean() ? 0 : f.alignment() * r.nextInt(1 + (int) (other.byteSize() / f.alignment())));
                    if (rel == t.fileOffset() - f.dataOffset()) rel += f.alignment();
                    GgufBytes.setOffset(b, t.name(), rel);
                    how = "offset of " + t.name() + " -> " + rel;
                    overlaps++;
                }
                case 1, 2 -> {   // type change
                    GgmlType nt = types[r.nextInt(types.length)];
                    if (nt == t.type()) nt = nt == GgmlType.F32 ? GgmlType.Q8_0 : GgmlType.F32;
                    GgufBytes.setType(b, t.name(), nt);
                    long newSize = t.dims()[0] % nt.blockSize != 0 ? -1 : t.elements() / nt.blockSize * nt.blockBytes;
                    mustFail = newSize != t.byteSize();
                    if (!mustFail) sameSize++;
                    how = t.name() + " " + t.type() + " -> " + nt;
                    typeChanges++;
                }
                default -> {   // count mismatch: tensor_count or block_count off by one or more
                    if (r.nextBoolean()) {
                        long n = tensors.size() + (r.nextBoolean() ? -1 - r.nextInt(3) : 1 + r.nextInt(3));
                        GgufBytes.putU64(b, 8, n);
                        how = "tensor_count -> " + n;
                    } else {
                        int at = indexOf(b, "llama.block_count".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "llama.block_count".length() + 4;
                        int n = r.nextBoolean() ? 1 : 3 + r.nextInt(3);
                        GgufBytes.putU32(b, at, n);
                        how = "block_count -> " + n;
                    }
                    counts++;
                }
            }
            try {
                GgufLlamaLoader.load(MappedFile.of(Path.of("region-mutant-" + i), MemorySegment.ofArray(b)));
                if (mustFail) fail("mutant " + i + " (" + how + ") loaded");
            } catch (FormatException expected) {
                assertNotNull(expected.field());
            } catch (Throwable other) {
                fail("mutant " + i + " (" + how + ") threw " + other, other);
            }
        }
        System.out.println("regions: " + overlaps + " overlaps, " + typeChanges + " type changes (" + sameSize + " keeping the byte size), " + counts + " count changes: all refused");
        assertTrue(overlaps > 100 && typeChanges > 100 && counts > 100);
    }

    /**
     * Issue 23: NaN and infinities in weights and hyperparameters. A non-finite hyperparameter is a
     * FormatException at load; a non-finite weight is refused at load (norms, biases) or stops the
     * forward pass with a NonFiniteException; never do finite-looking logits come out of a model
     * whose logits are not finite, and never does a run return NaN.
     */
    @Test
    void nonFiniteWeightsAndHyperparametersNeverReachAnAnswer() throws Exception {
        byte[] valid = Files.readAllBytes(smallGguf());
        var f = dev.actlab.model.gguf.GgufFile.read(MappedFile.of(Path.of("x"), MemorySegment.ofArray(valid)));
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -1f, -0f, Float.MAX_VALUE, Float.MIN_VALUE};
        String[] keys = {"llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base"};
        for (String key : keys)
            for (float v : bad) {
                byte[] b = valid.clone();
                int at = indexOf(b, key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + key.length() + 4;   // after the value type
                GgufBytes.putF32(b, at, v);
                boolean sane = key.contains("epsilon") ? v > 0 && v < 1 && Float.isFinite(v) : v > 1 && Float.isFinite(v);
                if (sane) continue;
                FormatException e = assertThrows(FormatException.class, () -> GgufLlamaLoader.load(MappedFile.of(Path.of("hp"), MemorySegment.ofArray(b))), key + " = " + v);
                assertEquals(key, e.field());
            }
        SplittableRandom r = new SplittableRandom(5);
        int refusedAtLoad = 0, stopped = 0, finite = 0;
        float[] nonFinite = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < 300; i++) {
            byte[] b = valid.clone();
            var t = f.tensors().get(r.nextInt(f.tensors().size()));
            long at;
            float v = nonFinite[r.nextInt(3)];
            switch (t.type()) {
                case F32 -> { at = t.fileOffset() + 4L * r.nextLong(t.elements()); GgufBytes.putF32(b, at, v); }
                case F16 -> { at = t.fileOffset() + 2L * r.nextLong(t.elements()); putF16(b, at, v); }
                default -> { at = t.fileOffset() + t.type().blockBytes * r.nextLong(t.byteSize() / t.type().blockBytes); putF16(b, at, v); }   // a block's f16 scale
            }
            dev.actlab.model.llama.LlamaModel m;
            try {
                m = GgufLlamaLoader.load(MappedFile.of(Path.of("nan-mutant-" + i), MemorySegment.ofArray(b)));
            } catch (FormatException e) {
                refusedAtLoad++;
                continue;
            }
            int[] tokens = r.ints(6, 0, 64).toArray();
            try {
                float[] logits = m.runWithHooks(tokens, dev.actlab.model.hook.Hooks.none());
                for (float x : logits) assertTrue(Float.isFinite(x), "mutant " + i + " (" + t.name() + " @" + at + " = " + v + ") returned a non-finite logit");
                finite++;   // the poisoned value was not on this input's path (an embedding row of another token)
            } catch (dev.actlab.model.hook.NonFiniteException e) {
                stopped++;
            }
        }
        System.out.println("non-finite weights: " + refusedAtLoad + " refused at load, " + stopped + " stopped at the logits, " + finite + " off the input's path");
        assertTrue(refusedAtLoad > 10 && stopped > 100, refusedAtLoad + " / " + stopped);
    }

    static void putF16(byte[] b, long at, float v) {
        short h = Float.floatToFloat16(v);
        b[(int) at] = (byte) h;
        b[(int) at + 1] = (byte) (h >> 8);
    }

    /** The data section start of our own GGUF: mutations concentrate on the header before it. */
    static int headerEnd(byte[] gguf) throws Exception {
        return (int) dev.actlab.model.gguf.GgufFile.read(MappedFile.of(Path.of("x"), MemorySegment.ofArray(gguf))).dataOffset();
    }

    /**
     * Offsets of the count, length, type, dims and offset fields of our GGUF's header, found from
     * its keys and tensor names: targets for huge values.
     */
    static int[] ggufFieldOffsets(byte[] b) throws Exception {
        var f = dev.actlab.model.gguf.GgufFile.read(MappedFile.of(Path.of("x"), MemorySegment.ofArray(b)));
        java.util.List<Integer> at = new java.util.ArrayList<>(java.util.List.of(4, 8, 16));
        for (var e : f.entries().entrySet()) {
            int k = indexOf(b, e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            int type = k + e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            at.addAll(java.util.List.of(k - 8, type, type + 4, type + 8, type + 12));   // length, type, value or element type + count
        }
        for (var t : f.tensors()) {
            int k = indexOf(b, t.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            int nDims = k + t.name().length();
            at.addAll(java.util.List.of(k - 8, nDims));
            for (int d = 0; d < t.dims().length; d++) at.add(nDims + 4 + 8 * d);
            at.add(nDims + 4 + 8 * t.dims().length);        // ggml type
            at.add(nDims + 8 + 8 * t.dims().length);        // offset
        }
        return at.stream().mapToInt(Integer::intValue).toArray();
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new IllegalStateException("not found");
    }

    static int fuzz(String what, byte[] valid, int headerEnd, int[] fields, int iterations, long seed, Loader loader, long deadline) {
        SplittableRandom r = new SplittableRandom(seed);
        int i = 0, rejected = 0;
        for (; i < iterations && System.nanoTime() < deadline; i++) {
            StringBuilder how = new StringBuilder();
            byte[] b = mutate(valid, headerEnd, fields, r, how);
            try {
                loader.load(MappedFile.of(Path.of(what + "-mutant-" + i), MemorySegment.ofArray(b)));
            } catch (FormatException expected) {
                assertNotNull(expected.field());
                rejected++;
            } catch (Throwable t) {
                fail(what + " mutation " + i + " (" + how + ") threw " + t, t);
            }
        }
        System.out.println(what + ": " + i + " mutants, " + rejected + " rejected with FormatException, " + (i - rejected) + " loaded");
        return i;
    }

    static byte[] mutate(byte[] valid, int headerEnd, int[] fields, SplittableRandom r, StringBuilder how) {
        byte[] b = valid.clone();
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
            // mostly the header (where counts, lengths and dims live), sometimes anywhere
            int at = (r.nextInt(10) < 8 ? r.nextInt(headerEnd) : r.nextInt(valid.length)) % b.length;
            if (r.nextInt(3) == 0) at = fields[r.nextInt(fields.length)] % b.length;   // a known field
            switch (r.nextInt(5)) {
                case 0 -> { b[at] ^= (byte) (1 << r.nextInt(8)); how.append("flip@").append(at).append(' '); }
                case 1 -> { b[at] = (byte) r.nextInt(256); how.append("byte@").append(at).append(' '); }
                case 2, 3 -> {
                    int width = r.nextBoolean() ? 4 : 8;
                    long v = HUGE[r.nextInt(HUGE.length)];
                    if (at + width <= b.length) {
                        for (int k = 0; k < width; k++) b[at + k] = (byte) (v >>> (8 * k));
                    }
                    how.append("u").append(width * 8).append('=').append(Long.toUnsignedString(v)).append('@').append(at).append(' ');
                }
                default -> {
                    int len = r.nextBoolean() ? r.nextInt(Math.max(1, headerEnd + 8)) : r.nextInt(b.length);
                    b = Arrays.copyOf(b, len);
                    how.append("truncate@").append(len).append(' ');
                    if (b.length == 0) return b;
                }
            }
        }
        return b;
    }
}
