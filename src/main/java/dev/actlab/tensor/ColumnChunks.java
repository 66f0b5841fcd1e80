package dev.actlab.tensor;

/**
 * How a column GEMV (an input-major copy that reads only the columns of the kept inputs) splits its
 * rows over threads: one chunk per thread, so each thread reads its part of every kept column as one
 * run of memory. Short runs are what make skipping slow. With Parallel's usual split (up to 16 chunks,
 * 48-128 rows each) a 3 KiB column was read as 256-byte pieces, each the start of a new stream for the
 * hardware prefetcher, and the F32 column kernel ran at 0.6x of the same loop over whole columns
 * (`ColumnKernelBench`, [768, 2048] at 50%: 0.83x of dense before, 1.41x after). The split never changes
 * a bit of the result: each output is computed whole, by one thread, in the order of the kept inputs.
 */
final class ColumnChunks {
    private ColumnChunks() {}

    /** Multiply-adds below which a GEMV stays on one thread (a hand-off costs more than it saves). */
    static final long MIN_PARALLEL_WORK = 1 << 16;

    /** Rows per chunk for rows outputs, nnz kept inputs and the given thread count: a multiple of block. */
    static int size(int rows, int nnz, int threads, int block) {
        long work = (long) rows * Math.max(1, nnz);
        int parts = work < MIN_PARALLEL_WORK ? 1 : Math.max(1, threads);
        int run = (rows + parts - 1) / parts;
        return Math.max(block, (run + block - 1) / block * block);
    }
}
