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

    @Test
    void columnGroupsDependOnTheKeptInputsOnly() {
        int g = ColumnChunks.GROUPS;
        assertEquals(1, ColumnChunks.groups(g - 1));
        assertEquals(g, ColumnChunks.groups(g));
        assertEquals(g, ColumnChunks.groups(384));
        // chains per group: the streams asked for when every chain gets an input, else one; never the rows or threads
        assertEquals(4, ColumnChunks.chainsPerGroup(384, 4));
        assertEquals(1, ColumnChunks.chainsPerGroup(384, 1));
        assertEquals(1, ColumnChunks.chainsPerGroup(4 * g - 1, 4));
        assertEquals(4, ColumnChunks.chainsPerGroup(4 * g, 4));
        assertEquals(96, ColumnChunks.groupStart(1, 4, 385));
        assertEquals(385, ColumnChunks.groupStart(4, 4, 385));
    }

    @Test
    void everyGroupCoversEveryRowOnceAndTheGroupsAreAddedInOrder() {
        int nnz = 300, groups = ColumnChunks.groups(nnz);
        for (int rows : new int[]{1000, 100})   // a large product over the threads, a small one on the caller
            for (int threads : new int[]{1, 2, 3, 4}) {
                float[] out = new float[rows + 5];
                int[][] seen = new int[groups][rows];
                try (Parallel p = new Parallel(threads)) {
                    ColumnChunks.run(rows, nnz, 32, out, 5, p, (lo, hi, from, to, dst, dOff) -> {
                        int g = 0;
                        while (ColumnChunks.groupStart(g, groups, nnz) != lo) g++;
                        assertEquals(ColumnChunks.groupStart(g + 1, groups, nnz), hi);
                        for (int r = from; r < to; r++) {
                            synchronized (seen) { seen[g][r]++; }
                            dst[dOff + r] = g == 0 ? r : 1f / (1 << g);   // exact sums: r + 1/2 + 1/4 + ...
                        }
                    });
                }
                float tail = 0;
                for (int g = 1; g < groups; g++) tail += 1f / (1 << g);
                for (int g = 0; g < groups; g++) for (int r = 0; r < rows; r++) assertEquals(1, seen[g][r], "group " + g + " row " + r + ", " + threads + " threads");
                for (int r = 0; r < rows; r++) assertEquals(r + tail, out[5 + r], 0f);
            }
    }
}
