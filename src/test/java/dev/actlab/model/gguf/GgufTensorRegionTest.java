package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: GGUF tensor data regions are checked against each other and the declared types, and
 * the hyperparameters against the tensors present, on stories260K converted to GGUF. The three
 * corruptions named in the issue (overlap, a changed type, block_count below the blocks present)
 * loaded and generated garbage before; now each is a FormatException naming file, field and offset.
 * Tensor order in this file: token_embd (0), then per block attn_norm, attn_q, attn_k, attn_v,
 * attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down, then output_norm (last).
 */
class GgufTensorRegionTest {
    @TempDir Path dir;

    byte[] stories() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        Path p = dir.resolve("stories260K.gguf");
        GgufLlamaWriter.export(m, DType.F32, "stories260K").write(p);
        return Files.readAllBytes(p);
    }

    static FormatException rejected(byte[] b) {
        return assertThrows(FormatException.class, () -> GgufLlamaLoader.load(MappedFile.of(Path.of("bad.gguf"), MemorySegment.ofArray(b))));
    }

    FormatException rejectedWriter(Consumer<GgufWriter> change) throws Exception {
        GgufWriter w = GgufLlamaWriter.export(Llama2cReader.read(Shared.stories260K()), DType.F32, "stories260K");
        change.accept(w);
        Path p = dir.resolve("changed.gguf");
        w.write(p);
        return assertThrows(FormatException.class, () -> ModelLoader.loadDecoder(p));
    }

    @Test
    void theUnchangedFileLoads() throws Exception {
        byte[] b = stories();
        GgufFile f = GgufFile.read(MappedFile.of(Path.of("ok.gguf"), MemorySegment.ofArray(b)));
        assertNotNull(GgufLlamaLoader.load(f));
        assertEquals(java.util.List.of(), f.unused());
    }

    @Test
    void aTensorWhoseOffsetMakesItOverlapAnotherIsRejected() throws Exception {
        byte[] b = stories();
        GgufBytes.setOffset(b, "blk.0.attn_k.weight", GgufBytes.offset(b, "blk.0.attn_q.weight") + 4096);
        FormatException e = rejected(b);
        assertEquals("tensor_info[3].offset", e.field());
        assertTrue(e.getMessage().contains("tensor blk.0.attn_k.weight [64, 32] F32 at data offset ")
                && e.getMessage().contains("overlaps the previous tensor blk.0.attn_q.weight ([64, 64] F32, 16384 bytes)"), e.getMessage());
        assertTrue(e.getMessage().startsWith("bad.gguf: tensor_info[3].offset at offset "), e.getMessage());
    }

    @Test
    void aTensorWhoseTypeWasChangedSoItsSizeNoLongerFitsIsRejected() throws Exception {
        byte[] b = stories();
        GgufBytes.setType(b, "blk.0.attn_q.weight", GgmlType.Q8_0);   // 16384 bytes of F32 now read as 4352 bytes of Q8_0
        FormatException e = rejected(b);
        assertEquals("tensor_info[3].offset", e.field());
        assertTrue(e.getMessage().contains("the previous tensor blk.0.attn_q.weight ([64, 64] Q8_0, 4352 bytes) ends at")
                && e.getMessage().contains("12032 bytes between them belong to no tensor, so the previous tensor's type or dims do not match its data"), e.getMessage());
    }

    @Test
    void aTypeChangeOfTheLastTensorLeavesBytesThatBelongToNoTensor() throws Exception {
        byte[] b = stories();
        GgufBytes.setType(b, "output_norm.weight", GgmlType.Q8_0);   // [64] F32 = 256 bytes, as Q8_0 68 (96 padded)
        FormatException e = rejected(b);
        assertEquals("tensor_info[46]", e.field());
        assertTrue(e.getMessage().contains("160 bytes after the end of the last tensor output_norm.weight ([64] Q8_0, 68 bytes) belong to no tensor"), e.getMessage());
    }

    @Test
    void aLargerTypeRunsPastTheNextTensorOrTheEnd() throws Exception {
        byte[] b = stories();
        GgufBytes.setType(b, "blk.0.attn_norm.weight", GgmlType.F64);   // 256 bytes of F32 read as 512 of F64: overlaps attn_q
        assertTrue(rejected(b).getMessage().contains("overlaps the previous tensor blk.0.attn_norm.weight ([64] F64, 512 bytes)"));
        byte[] c = stories();
        GgufBytes.setType(c, "output_norm.weight", GgmlType.F64);
        assertTrue(rejected(c).getMessage().contains("needs 512 bytes at data offset"), rejected(c).getMessage());
    }

    @Test
    void aGapBeforeTheFirstTensorOrAMisalignedOffsetIsRejected() throws Exception {
        byte[] b = stories();
        GgufBytes.setOffset(b, "token_embd.weight", 32);
        FormatException e = rejected(b);
        assertEquals("tensor_info[0].offset", e.field());
        assertTrue(e.getMessage().contains("the first tensor token_embd.weight starts at data offset 32, not 0"), e.getMessage());
        byte[] c = stories();
        GgufBytes.setOffset(c, "blk.0.attn_q.weight", GgufBytes.offset(c, "blk.0.attn_q.weight") + 4);
        assertTrue(rejected(c).getMessage().contains("is not a multiple of the alignment 32"));
    }

    @Test
    void blockCountBelowTheBlocksPresentIsRejected() throws Exception {
        FormatException e = rejectedWriter(w -> w.put("llama.block_count", GgufValue.u32(4)));
        assertEquals("llama.block_count", e.field());
        assertTrue(e.offset() > 24, "the offset of the key in the header, not 0: " + e.offset());
        assertTrue(e.getMessage().contains("is 4 but the file has tensor blk.4.attn_norm.weight of block 4: the hyperparameters do not match the tensors"), e.getMessage());
        // above the blocks present: the first missing tensor is named
        FormatException more = rejectedWriter(w -> w.put("llama.block_count", GgufValue.u32(6)));
        assertEquals("blk.5.attn_norm.weight", more.field());
        assertTrue(more.getMessage().contains("tensor is missing"), more.getMessage());
    }

    @Test
    void aTensorTheForwardPassWouldNotUseIsRejected() throws Exception {
        FormatException e = rejectedWriter(w -> w.tensor("blk.0.attn_output.bias", DType.F32, new long[]{64}, (r, dst) -> {}));
        assertEquals("blk.0.attn_output.bias", e.field());
        assertTrue(e.getMessage().contains("tensor [64] F32 is not used by the llama forward pass"), e.getMessage());
    }

    @Test
    void hyperparametersThatDisagreeWithTheTensorsAreRejected() throws Exception {
        assertEquals("llama.rope.dimension_count", rejectedWriter(w -> w.put("llama.rope.dimension_count", GgufValue.u32(4))).field());
        assertEquals("llama.attention.value_length", rejectedWriter(w -> w.put("llama.attention.value_length", GgufValue.u32(16))).field());
        assertEquals("llama.expert_count", rejectedWriter(w -> w.put("llama.expert_count", GgufValue.u32(8))).field());
        // head_count_kv 2 (not 4): attn_k would need [64, 16]
        FormatException kv = rejectedWriter(w -> w.put("llama.attention.head_count_kv", GgufValue.u32(2)));
        assertEquals("blk.0.attn_k.weight", kv.field());
        assertTrue(kv.getMessage().contains("tensor is [64, 32], expected [64, 16]"), kv.getMessage());
    }

    @Test
    void nonFiniteOrOutOfRangeHyperparametersAreRejected() throws Exception {
        String eps = "llama.attention.layer_norm_rms_epsilon", theta = "llama.rope.freq_base";
        for (float v : new float[]{Float.NaN, 0f, -1f, Float.POSITIVE_INFINITY, 1f}) {
            FormatException e = rejectedWriter(w -> w.put(eps, GgufValue.f32(v)));
            assertEquals(eps, e.field());
            assertTrue(e.getMessage().contains("value " + (double) v + " is not a finite number in (0.0, 1.0)"), e.getMessage());
        }
        for (float v : new float[]{Float.NaN, 0f, -10000f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            FormatException e = rejectedWriter(w -> w.put(theta, GgufValue.f32(v)));
            assertEquals(theta, e.field());
            assertTrue(e.getMessage().contains("is not a finite number in (1.0, inf)"), e.getMessage());
        }
        // an epsilon that underflows float to 0 is no epsilon
        assertEquals(eps, rejectedWriter(w -> w.put(eps, GgufValue.of(GgufValueType.FLOAT64, 1e-60))).field());
        FormatException s = rejectedWriter(w -> {
            w.put("llama.rope.scaling.type", GgufValue.string("llama3"));
            w.put("llama.rope.scaling.factor", GgufValue.f32(Float.NaN));
        });
        assertEquals("llama.rope.scaling", s.field());
        assertTrue(s.getMessage().contains("rope scaling factor = NaN is not a finite number in [1, 1e6]"), s.getMessage());
    }

    @Test
    void aNonFiniteNormWeightIsRejectedAtLoadNamingTheTensorAndIndex() throws Exception {
        byte[] b = stories();
        GgufFile f = GgufFile.read(MappedFile.of(Path.of("x.gguf"), MemorySegment.ofArray(b)));
        GgufBytes.putF32(b, f.tensor("blk.2.ffn_norm.weight").fileOffset() + 4 * 5, Float.POSITIVE_INFINITY);
        FormatException e = rejected(b);
        assertEquals("blk.2.ffn_norm.weight", e.field());
        assertTrue(e.getMessage().contains("value 5 is Infinity, not a finite number"), e.getMessage());
    }

    /** Issue 23: convert/synth --out EXISTING_DIR wrote a full-size .part, then failed; now nothing is written. */
    @Test
    void writingOverADirectoryIsRefusedBeforeTheWork() throws Exception {
        Path target = Files.createDirectories(dir.resolve("out.gguf"));
        GgufWriter w = GgufLlamaWriter.export(Llama2cReader.read(Shared.stories260K()), DType.F32, "x");
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class, () -> w.write(target));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        try (var files = Files.list(dir)) { assertEquals(1, files.count(), "no .part left"); }
    }
}
