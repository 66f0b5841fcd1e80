package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's tensor order (its model loader's comparator: the number after "blk." compared as a number,
 * -1 for tensors outside the blocks, then the names byte by byte), on names where it differs from a
 * plain sort: blk.10 after blk.9, output_norm and token_embd before every block.
 */
class LlamaQuantizeOrderTest {
    @Test
    void blocksComeInNumericOrderAfterTheTensorsOutsideThem() {
        List<String> names = new ArrayList<>(List.of("blk.10.attn_q.weight", "token_embd.weight", "blk.9.ffn_up.weight",
                "blk.2.attn_k.weight", "output_norm.weight", "blk.2.attn_norm.weight", "output.weight", "blk.9.attn_v.weight"));
        names.sort(LlamaQuantizeFile.ORDER);
        assertEquals(List.of("output.weight", "output_norm.weight", "token_embd.weight", "blk.2.attn_k.weight", "blk.2.attn_norm.weight",
                "blk.9.attn_v.weight", "blk.9.ffn_up.weight", "blk.10.attn_q.weight"), names);
        assertEquals(-1, LlamaQuantizeFile.layer("blk.x.weight"));
        assertEquals(123, LlamaQuantizeFile.layer("blk.123.ffn_down.weight"));
    }
}
