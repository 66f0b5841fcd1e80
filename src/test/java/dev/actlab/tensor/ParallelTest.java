package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexIsCoveredExactlyOnceInChunksThatDependOnlyOnN() {
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2); Parallel three = new Parallel(3)) {
            for (int minChunk : new int[]{1, 4, 16}) {
                for (int n = 1; n <= 3000; n += n < 200 ? 1 : 37) {
                    int size = Parallel.chunkSize(n, minChunk);
                    assertTrue(size % minChunk == 0 || size == n, "chunk size " + size + " for n " + n);
                    assertTrue((n + size - 1) / size <= Parallel.MAX_CHUNKS);
                    for (Parallel p : new Parallel[]{one, two, three}) {
                        int[] hits = new int[n];
                        int[] startOf = new int[n];
                        final int fn = n;
                        p.forRange(n, minChunk, (from, to) -> {
                            assertTrue(0 <= from && from < to && to <= fn);
                            assertEquals(0, from % size, "chunk starts at a multiple of the chunk size");
                            for (int i = from; i < to; i++) { hits[i]++; startOf[i] = from; }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits[i], "index " + i + " of " + n + " with " + p.threads() + " threads");
                            assertEquals(i / size * size, startOf[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void longWorkerSpinCoversEveryIndexOnceWhetherTheWorkerSpinsOrSleeps() throws Exception {
        boolean was = KernelChoice.longWorkerSpin;
        KernelChoice.longWorkerSpin = true;
        try (Parallel two = new Parallel(2)) {
            for (int round = 0; round < 3; round++) {
                int[] hits = new int[1000];
                two.forRange(1000, 16, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
                for (int v : hits) assertEquals(1, v);
                Thread.sleep(5);   // longer than the 2 ms spin: the worker has parked before the next call
            }
        } finally {
            KernelChoice.longWorkerSpin = was;
        }
    }

    @Test
    void nestedCallsRunInlineAndExceptionsReachTheCaller() {
        try (Parallel two = new Parallel(2)) {
            AtomicInteger count = new AtomicInteger();
            two.forRange(64, 1, (from, to) -> two.forRange(10, 1, (a, b) -> count.addAndGet(b - a)));
            assertEquals(64 / Parallel.chunkSize(64, 1) * 10, count.get(), "each outer chunk ran the inner range once, inline");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> two.forRange(100, 1, (from, to) -> { if (from == 0) throw new IllegalStateException("boom"); }));
            assertEquals("boom", e.getMessage());
            int[] after = new int[100];
            two.forRange(100, 1, (from, to) -> { for (int i = from; i < to; i++) after[i]++; });
            for (int v : after) assertEquals(1, v, "the pool still works after a failed job");
        }
    }
}
