package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ColumnChunksTest {
    @Test
    void oneChunkPerThreadInWholeBlocks() {
        for (int rows : new int[]{768, 2048, 1000, 67, 8192})
            for (int threads : new int[]{1, 2, 3, 4}) {
                int size = ColumnChunks.size(rows, 1024, threads, 32);
                int chunks = (rows + size - 1) / size;
                assertEquals(0, size % 32, rows + " rows, " + threads + " threads");
                // as many chunks as threads (fewer only where rounding to whole blocks merges them), each one run per column
                assertTrue(chunks <= threads && chunks >= Math.min(threads, (rows + 31) / 32) - 1, rows + " rows, " + threads + " threads: " + chunks + " chunks");
                // Parallel keeps the chunk: at most MAX_CHUNKS chunks, each a multiple of the grain
                assertEquals(Math.min(rows, size), Parallel.chunkSize(rows, size), rows + " rows, " + threads + " threads");
            }
        assertEquals(768, ColumnChunks.size(768, 384, 1, 32));
        assertEquals(384, ColumnChunks.size(768, 384, 2, 32));
    }

    @Test
    void smallProductsStayOnOneThread() {
        assertEquals(192, ColumnChunks.size(192, 100, 2, 32));   // 19,200 multiply-adds
        assertEquals(64, ColumnChunks.size(5, 7, 3, 64));          // fewer rows than a block: one block
    }
}
