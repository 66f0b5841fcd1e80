package dev.actlab.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Position encodings of the 2:4 GEMV, timed against the dense kernel and {@link TwoFourF32Matrix} in one
 * process (alternating, the first swapped every round), at a given thread count; each pass runs enough
 * different matrices that the weights come from memory. Not a test; every candidate's output is checked
 * against TwoFourF32Matrix before timing (now4s bit for bit: the same sums in the same order; the others within rounding).
 * <ul>
 * <li>now: TwoFourF32Matrix (4-bit permute indices: broadcast + shift, 9 bytes per 4 inputs; a block's chunks in 4
 *     interleaved column quarters, each quarter stored as one stream over all blocks).
 * <li>twoBit: the layout before it (2-bit positions: broadcast + shift + mask + offset, 8.5 bytes).
 * <li>dup: one vector = one group of all 4 rows of a block (8.5 bytes); permutes x with each group of 4
 *     inputs stored twice (xx), so the bit above a 2-bit position does not matter and no mask/offset is needed.
 * <li>2streams, 4streams: twoBit reading a block's chunks as 2 or 4 interleaved runs (more concurrent streams).
 * <li>now4s, now1s: the layout before the column-quarter streams (a block's values contiguous) reading a block's chunks
 *     as 4 interleaved runs, and as 1 (the same loop shape). The kernel before branch twofour3 was now4s from 2048
 *     inputs and now1s below.
 * <li>qnib, q2bit: TwoFourF32Matrix's column-quarter streams (each quarter of the chunks stored as one stream over all
 *     blocks) with now's 4-bit indices (the same sums as now) and with twoBit's 2-bit positions (8.5 bytes per 4 inputs).
 * <li>qinline: qnib with each chunk's 4 index words stored after its 32 values (4 streams a pass instead of 8).
 * </ul>
 * java --add-modules jdk.incubator.vector [-Donly=dense,now,...] -cp target/classes:target/test-classes dev.actlab.tensor.TwoFourLayoutBench ROWS COLS THREADS [rounds [copies: 1 = in cache, 200 passes a round]]
 */
public final class TwoFourLayoutBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_256;
    static final IntVector SHIFT2_LO = IntVector.fromArray(SI, new int[]{0, 2, 4, 6, 8, 10, 12, 14}, 0), SHIFT2_HI = SHIFT2_LO.add(16);
    static final IntVector OFFSET = IntVector.fromArray(SI, new int[]{0, 0, 0, 0, 4, 4, 4, 4}, 0);

    /** The candidate encodings of one matrix, built from its dense pruned rows (rows a multiple of 4, cols of 16). */
    static final class Packed {
        final int rows, cols, blocks, full;
        final float[] values;     // [blocks][full][2 halves][2 pairs][8], as TwoFourF32Matrix
        final int[] two;          // [blocks][full][2 pairs]: 2-bit positions, half 0 in bits 0-15, half 1 in 16-31
        final int[] nib;          // [blocks][full][2 halves][2 pairs]: 4-bit permute indices, as TwoFourF32Matrix
        final float[] dupValues;  // [blocks][full][4 groups][4 rows x 2 kept]: one vector = one group of all 4 rows
        final int[] dupPos;       // [blocks][full][2]: groups 2k (bits 0-15), 2k + 1 (bits 16-31), 2 bits a lane

        Packed(float[] w, int rows, int cols) {
            this.rows = rows; this.cols = cols; blocks = rows / 4; full = cols / 16;
            values = new float[blocks * full * 32]; two = new int[blocks * full * 2]; nib = new int[blocks * full * 4];
            dupValues = new float[blocks * full * 32]; dupPos = new int[blocks * full * 2];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols / 4; g++) {
                    int p0 = -1, p1 = -1;
                    for (int p = 0; p < 4; p++) if (w[r * cols + 4 * g + p] != 0) { if (p0 < 0) p0 = p; else p1 = p; }
                    if (p0 < 0) { p0 = 0; p1 = 1; } else if (p1 < 0) { if (p0 == 3) { p1 = 3; p0 = 2; } else p1 = p0 + 1; }
                    int b = r / 4, pair = r % 4 / 2, c = g / 4, h = g % 4 / 2, lane = 4 * (g % 2) + 2 * (r % 2);
                    int v = ((b * full + c) * 4 + 2 * h + pair) * 8 + lane;
                    values[v] = w[r * cols + 4 * g + p0]; values[v + 1] = w[r * cols + 4 * g + p1];
                    nib[((b * full + c) * 2 + h) * 2 + pair] |= (4 * (g % 2) + p0) << (4 * lane) | (4 * (g % 2) + p1) << (4 * lane + 4);
                    two[(b * full + c) * 2 + pair] |= p0 << (16 * h + 2 * lane) | p1 << (16 * h + 2 * lane + 2);
                    int dl = 2 * (r % 4), dv = ((b * full + c) * 4 + g % 4) * 8 + dl;
                    dupValues[dv] = values[v]; dupValues[dv + 1] = values[v + 1];
                    dupPos[(b * full + c) * 2 + g % 4 / 2] |= p0 << (16 * (g % 2) + 2 * dl) | p1 << (16 * (g % 2) + 2 * dl + 2);
                }
            qValues = quarters(values, 32, blocks, full); qNib = quarters(nib, 4, blocks, full); qTwo = quarters(two, 2, blocks, full);
            qInline = inline(qValues, qNib);
        }

        static float lanes(FloatVector t, int a) { return t.lane(a) + t.lane(a + 1) + t.lane(a + 4) + t.lane(a + 5); }

        void store(float[] out, int b, FloatVector lo0, FloatVector hi0, FloatVector lo1, FloatVector hi1) {
            FloatVector t0 = lo0.add(hi0), t1 = lo1.add(hi1);
            out[4 * b] = lanes(t0, 0); out[4 * b + 1] = lanes(t0, 2); out[4 * b + 2] = lanes(t1, 0); out[4 * b + 3] = lanes(t1, 2);
        }

        static FloatVector sel(FloatVector xh, IntVector index) { return index.selectFrom(xh.reinterpretAsInts()).reinterpretAsFloats(); }

        /** xx[8g + k] = x[4g + k % 4]: each group of 4 inputs twice, so an index's bit 2 does not matter. */
        static float[] duplicated(float[] x) {
            float[] xx = new float[2 * x.length];
            for (int g = 0; g < x.length / 4; g++) for (int k = 0; k < 8; k++) xx[8 * g + k] = x[4 * g + (k & 3)];
            return xx;
        }

        void dup(float[] x, float[] out, int from, int to) {
            float[] xx = duplicated(x);
            for (int b = from; b < to; b++) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int c = 0; c < full; c++) {
                    int vo = (b * full + c) * 32, po = (b * full + c) * 2, xo = c * 32;
                    IntVector w0 = IntVector.broadcast(SI, dupPos[po]), w1 = IntVector.broadcast(SI, dupPos[po + 1]);
                    a0 = FloatVector.fromArray(S, dupValues, vo).fma(sel(FloatVector.fromArray(S, xx, xo), w0.lanewise(VectorOperators.LSHR, SHIFT2_LO)), a0);
                    a1 = FloatVector.fromArray(S, dupValues, vo + 8).fma(sel(FloatVector.fromArray(S, xx, xo + 8), w0.lanewise(VectorOperators.LSHR, SHIFT2_HI)), a1);
                    a2 = FloatVector.fromArray(S, dupValues, vo + 16).fma(sel(FloatVector.fromArray(S, xx, xo + 16), w1.lanewise(VectorOperators.LSHR, SHIFT2_LO)), a2);
                    a3 = FloatVector.fromArray(S, dupValues, vo + 24).fma(sel(FloatVector.fromArray(S, xx, xo + 24), w1.lanewise(VectorOperators.LSHR, SHIFT2_HI)), a3);
                }
                FloatVector t = a0.add(a1).add(a2.add(a3));
                for (int j = 0; j < 4; j++) out[4 * b + j] = t.lane(2 * j) + t.lane(2 * j + 1);
            }
        }

        /** The previous layout and decode (2-bit positions: broadcast, shift, mask, offset), one stream of chunks. */
        void twoBit(float[] x, float[] out, int from, int to) { streams(x, out, from, to, 1); }

        /** twoBit, a block's chunks read as STREAMS interleaved runs (chunk c + s * full / STREAMS in step s). */
        void streams(float[] x, float[] out, int from, int to, int streams) {
            int q = full / streams;
            for (int b = from; b < to; b++) {
                FloatVector lo0 = FloatVector.zero(S), lo1 = lo0, hi0 = lo0, hi1 = lo0;
                for (int c0 = 0; c0 < q; c0++)
                    for (int s = 0; s < streams; s++) {
                        int c = c0 + s * q, vo = (b * full + c) * 32, po = (b * full + c) * 2;
                        FloatVector xa = FloatVector.fromArray(S, x, c * 16), xb = FloatVector.fromArray(S, x, c * 16 + 8);
                        int w0 = two[po], w1 = two[po + 1];
                        lo0 = FloatVector.fromArray(S, values, vo).fma(sel(xa, idx2(w0, SHIFT2_LO)), lo0);
                        lo1 = FloatVector.fromArray(S, values, vo + 8).fma(sel(xa, idx2(w1, SHIFT2_LO)), lo1);
                        hi0 = FloatVector.fromArray(S, values, vo + 16).fma(sel(xb, idx2(w0, SHIFT2_HI)), hi0);
                        hi1 = FloatVector.fromArray(S, values, vo + 24).fma(sel(xb, idx2(w1, SHIFT2_HI)), hi1);
                    }
                store(out, b, lo0, hi0, lo1, hi1);
            }
        }

        static final IntVector SHIFT4 = IntVector.fromArray(SI, new int[]{0, 4, 8, 12, 16, 20, 24, 28}, 0);

        static FloatVector kept(FloatVector xh, int word) { return sel(xh, IntVector.broadcast(SI, word).lanewise(VectorOperators.LSHR, SHIFT4)); }

        /** TwoFourF32Matrix's layout and decode, a block's chunks read as STREAMS interleaved runs. */
        void nibStreams(float[] x, float[] out, int from, int to, int streams) {
            int q = full / streams;
            for (int b = from; b < to; b++) {
                FloatVector lo0 = FloatVector.zero(S), lo1 = lo0, hi0 = lo0, hi1 = lo0;
                for (int c0 = 0; c0 < q; c0++)
                    for (int s = 0; s < streams; s++) {
                        int c = c0 + s * q, vo = (b * full + c) * 32, po = (b * full + c) * 4;
                        FloatVector xa = FloatVector.fromArray(S, x, c * 16), xb = FloatVector.fromArray(S, x, c * 16 + 8);
                        lo0 = FloatVector.fromArray(S, values, vo).fma(kept(xa, nib[po]), lo0);
                        lo1 = FloatVector.fromArray(S, values, vo + 8).fma(kept(xa, nib[po + 1]), lo1);
                        hi0 = FloatVector.fromArray(S, values, vo + 16).fma(kept(xb, nib[po + 2]), hi0);
                        hi1 = FloatVector.fromArray(S, values, vo + 24).fma(kept(xb, nib[po + 3]), hi1);
                    }
                store(out, b, lo0, hi0, lo1, hi1);
            }
        }

        /** The chunks of a [blocks][full][unit] array moved to TwoFourF32Matrix's column-quarter slots: (s blocks + b) q + i. */
        static float[] quarters(float[] a, int unit, int blocks, int full) {
            float[] o = new float[a.length];
            int q = full / 4;
            for (int b = 0; b < blocks; b++)
                for (int c = 0; c < full; c++) {
                    int slot = c < 4 * q ? (c / q * blocks + b) * q + c % q : 4 * q * blocks + b * (full - 4 * q) + c - 4 * q;
                    System.arraycopy(a, (b * full + c) * unit, o, slot * unit, unit);
                }
            return o;
        }

        static int[] quarters(int[] a, int unit, int blocks, int full) {
            float[] f = new float[a.length];
            for (int i = 0; i < a.length; i++) f[i] = Float.intBitsToFloat(a[i]);
            f = quarters(f, unit, blocks, full);
            int[] o = new int[a.length];
            for (int i = 0; i < a.length; i++) o[i] = Float.floatToRawIntBits(f[i]);
            return o;
        }

        final float[] qValues; final int[] qNib, qTwo;   // the column-quarter layout of values, nib and two

        /** TwoFourF32Matrix's column-quarter streams with its 4-bit indices (qnib: the same sums as now). */
        void quarterNib(float[] x, float[] out, int from, int to) {
            int q = full / 4, per = blocks * q;
            for (int b = from; b < to; b++) {
                FloatVector lo0 = FloatVector.zero(S), lo1 = lo0, hi0 = lo0, hi1 = lo0;
                for (int i = 0; i < q; i++)
                    for (int s = 0; s < 4; s++) {
                        int slot = s * per + b * q + i, vo = slot * 32, po = slot * 4, xo = (i + s * q) * 16;
                        FloatVector xa = FloatVector.fromArray(S, x, xo), xb = FloatVector.fromArray(S, x, xo + 8);
                        lo0 = FloatVector.fromArray(S, qValues, vo).fma(kept(xa, qNib[po]), lo0);
                        lo1 = FloatVector.fromArray(S, qValues, vo + 8).fma(kept(xa, qNib[po + 1]), lo1);
                        hi0 = FloatVector.fromArray(S, qValues, vo + 16).fma(kept(xb, qNib[po + 2]), hi0);
                        hi1 = FloatVector.fromArray(S, qValues, vo + 24).fma(kept(xb, qNib[po + 3]), hi1);
                    }
                store(out, b, lo0, hi0, lo1, hi1);
            }
        }

        final float[] qInline;   // qnib with each slot's 4 index words after its 32 values (as float bits): 36 floats a slot, 4 streams not 8

        static float[] inline(float[] v, int[] nib) {
            float[] o = new float[v.length / 32 * 36];
            for (int slot = 0; slot < v.length / 32; slot++) {
                System.arraycopy(v, slot * 32, o, slot * 36, 32);
                for (int k = 0; k < 4; k++) o[slot * 36 + 32 + k] = Float.intBitsToFloat(nib[slot * 4 + k]);
            }
            return o;
        }

        /** qnib with the index words inline (qinline: one stream per column quarter; the same sums as now). */
        void quarterInline(float[] x, float[] out, int from, int to) {
            int q = full / 4, per = blocks * q;
            for (int b = from; b < to; b++) {
                FloatVector lo0 = FloatVector.zero(S), lo1 = lo0, hi0 = lo0, hi1 = lo0;
                for (int i = 0; i < q; i++)
                    for (int s = 0; s < 4; s++) {
                        int slot = s * per + b * q + i, vo = slot * 36, xo = (i + s * q) * 16;
                        FloatVector xa = FloatVector.fromArray(S, x, xo), xb = FloatVector.fromArray(S, x, xo + 8);
                        lo0 = FloatVector.fromArray(S, qInline, vo).fma(kept(xa, Float.floatToRawIntBits(qInline[vo + 32])), lo0);
                        lo1 = FloatVector.fromArray(S, qInline, vo + 8).fma(kept(xa, Float.floatToRawIntBits(qInline[vo + 33])), lo1);
                        hi0 = FloatVector.fromArray(S, qInline, vo + 16).fma(kept(xb, Float.floatToRawIntBits(qInline[vo + 34])), hi0);
                        hi1 = FloatVector.fromArray(S, qInline, vo + 24).fma(kept(xb, Float.floatToRawIntBits(qInline[vo + 35])), hi1);
                    }
                store(out, b, lo0, hi0, lo1, hi1);
            }
        }

        /** The column-quarter streams with twoBit's 2-bit positions (q2bit: 8.5 bytes per 4 inputs; a mask and an offset more per 8 values). */
        void quarterTwo(float[] x, float[] out, int from, int to) {
            int q = full / 4, per = blocks * q;
            for (int b = from; b < to; b++) {
                FloatVector lo0 = FloatVector.zero(S), lo1 = lo0, hi0 = lo0, hi1 = lo0;
                for (int i = 0; i < q; i++)
                    for (int s = 0; s < 4; s++) {
                        int slot = s * per + b * q + i, vo = slot * 32, po = slot * 2, xo = (i + s * q) * 16;
                        FloatVector xa = FloatVector.fromArray(S, x, xo), xb = FloatVector.fromArray(S, x, xo + 8);
                        int w0 = qTwo[po], w1 = qTwo[po + 1];
                        lo0 = FloatVector.fromArray(S, qValues, vo).fma(sel(xa, idx2(w0, SHIFT2_LO)), lo0);
                        lo1 = FloatVector.fromArray(S, qValues, vo + 8).fma(sel(xa, idx2(w1, SHIFT2_LO)), lo1);
                        hi0 = FloatVector.fromArray(S, qValues, vo + 16).fma(sel(xb, idx2(w0, SHIFT2_HI)), hi0);
                        hi1 = FloatVector.fromArray(S, qValues, vo + 24).fma(sel(xb, idx2(w1, SHIFT2_HI)), hi1);
                    }
                store(out, b, lo0, hi0, lo1, hi1);
            }
        }

        static IntVector idx2(int word, IntVector shift) { return IntVector.broadcast(SI, word).lanewise(VectorOperators.LSHR, shift).and(3).or(OFFSET); }
    }

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]), cols = Integer.parseInt(args[1]), threads = Integer.parseInt(args[2]);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 15, reps = args.length > 4 ? 200 : 1;
        if (rows % 4 != 0 || cols % 64 != 0) throw new IllegalArgumentException("rows a multiple of 4, cols of 64 (4 streams of whole chunks)");
        int copies = args.length > 4 ? Integer.parseInt(args[4]) : (int) Math.max(1, (96L << 20) / ((long) rows * cols * 2 + (long) rows * cols / 8));
        SplittableRandom rnd = new SplittableRandom(3);
        F32Matrix[] dense = new F32Matrix[copies];
        TwoFourF32Matrix[] now = new TwoFourF32Matrix[copies];
        Packed[] packed = new Packed[copies];
        for (int k = 0; k < copies; k++) {
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < rows; i++) TwoFourF32Matrix.keepLargestTwo(w, i * cols, cols);
            dense[k] = F32Matrix.of(w, rows, cols);
            now[k] = TwoFourF32Matrix.of(dense[k]);
            packed[k] = new Packed(w, rows, cols);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        String[] names = {"dense", "now", "twoBit", "dup", "2streams", "4streams", "now4s", "now1s", "qnib", "q2bit", "qinline"};
        long twoBit = 4L * (packed[0].values.length + packed[0].two.length);
        long[] bytes = {dense[0].byteSize(), now[0].byteSize(), twoBit, 4L * (packed[0].dupValues.length + packed[0].dupPos.length), twoBit, twoBit, now[0].byteSize(), now[0].byteSize(), now[0].byteSize(), twoBit, now[0].byteSize()};
        int blocks = rows / 4, grain = (int) Math.min(Math.max(4, blocks), ((1 << 15) / ((long) cols * 2) + 3) / 4 * 4);
        double[][] ms = new double[names.length][rounds];
        try (Parallel par = new Parallel(threads)) {
            float[] ref = new float[rows], y = new float[rows];
            now[0].matmul(x, 1, ref, par);
            for (int v : new int[]{6, 8, 10}) {   // TwoFourF32Matrix reads a block in 4 interleaved streams, as now4s and qnib
                Arrays.fill(y, Float.NaN);
                run(v, dense[0], now[0], packed[0], x, y, par, blocks, grain);
                if (!Arrays.equals(ref, y)) throw new AssertionError(names[v] + " differs from TwoFourF32Matrix");
            }
            for (int v : new int[]{2, 3, 4, 5, 7, 9}) {
                Arrays.fill(y, Float.NaN);
                run(v, dense[0], now[0], packed[0], x, y, par, blocks, grain);
                for (int i = 0; i < rows; i++) if (!(Math.abs(y[i] - ref[i]) <= 1e-4f * (1 + Math.abs(ref[i])))) throw new AssertionError(names[v] + " row " + i + ": " + y[i] + " vs " + ref[i]);
            }
            // -Donly=dense,now,now4s: time only these candidates (the rest print as 0)
            java.util.List<String> only = java.util.List.of(System.getProperty("only", String.join(",", names)).split(","));
            for (int round = -3; round < rounds; round++)
                for (int j = 0; j < names.length; j++) {
                    int v = (j + Math.max(0, round)) % names.length;
                    if (!only.contains(names[v])) continue;
                    long t0 = System.nanoTime();
                    for (int rep = 0; rep < reps; rep++) for (int k = 0; k < copies; k++) run(v, dense[k], now[k], packed[k], x, y, par, blocks, grain);
                    if (round >= 0) ms[v][round] = (System.nanoTime() - t0) / 1e6 / copies / reps;
                }
        }
        System.out.printf("[%d, %d] x %d copies, %d threads, %d rounds (wall; GB/s of the bytes each reads; speedup vs dense)%n", rows, cols, copies, threads, rounds);
        double[] d = ms[0].clone(); Arrays.sort(d);
        for (int v = 0; v < names.length; v++) {
            double[] s = ms[v].clone(); Arrays.sort(s);
            double best = s[0], med = s[rounds / 2];
            if (med == 0) continue;   // not timed (-Donly)
            System.out.printf("  %-8s %6.1f MB  best %.3f ms %5.1f GB/s %.2fx | median %.3f ms %5.1f GB/s %.2fx%n", names[v], bytes[v] / 1e6,
                    best, bytes[v] / best / 1e6, d[0] / best, med, bytes[v] / med / 1e6, d[rounds / 2] / med);
        }
    }

    static void run(int v, F32Matrix dense, TwoFourF32Matrix now, Packed p, float[] x, float[] y, Parallel par, int blocks, int grain) {
        switch (v) {
            case 0 -> dense.matmul(x, 1, y, par);
            case 1 -> now.matmul(x, 1, y, par);
            case 2 -> par.forRange(blocks, grain, (f, t) -> p.twoBit(x, y, f, t));
            case 3 -> par.forRange(blocks, grain, (f, t) -> p.dup(x, y, f, t));
            case 4 -> par.forRange(blocks, grain, (f, t) -> p.streams(x, y, f, t, 2));
            case 5 -> par.forRange(blocks, grain, (f, t) -> p.streams(x, y, f, t, 4));
            case 6 -> par.forRange(blocks, grain, (f, t) -> p.nibStreams(x, y, f, t, 4));
            case 7 -> par.forRange(blocks, grain, (f, t) -> p.nibStreams(x, y, f, t, 1));
            case 8 -> par.forRange(blocks, grain, (f, t) -> p.quarterNib(x, y, f, t));
            case 9 -> par.forRange(blocks, grain, (f, t) -> p.quarterTwo(x, y, f, t));
            default -> par.forRange(blocks, grain, (f, t) -> p.quarterInline(x, y, f, t));
        }
    }
}
