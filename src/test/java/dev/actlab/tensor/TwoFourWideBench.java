package dev.actlab.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prototype: 16-lane (512-bit) decodes of TwoFourF32Matrix's layout, timed against dense and TwoFourF32Matrix in one
 * process (alternating). Each 16-lane vector is the concatenation of two of TwoFourF32Matrix's 8-lane pair vectors of
 * one half (pair 0 | pair 1), permuting the whole 16-input chunk of x, so the sums are TwoFourF32Matrix's bit for bit.
 * <ul>
 * <li>wide4: 4-bit indices (8h + 4(g%2) + p), one 64-bit word per 16 values (9 bytes per 4 inputs).
 * <li>wide2: 2-bit positions, one 32-bit word per 16 values, offset added per lane (8.5 bytes per 4 inputs); what
 *     TwoFourF32Matrix does on AVX-512 since branch twofour5.
 * <li>wide2p: wide2 with the chunks of blocks 2k and 2k + 1 side by side in each stream, two blocks (8 rows) per pass
 *     sharing each x load (faster at one thread on 8192-input rows, not at two; not kept).
 * </ul>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.TwoFourWideBench ROWS COLS THREADS [rounds]
 */
public final class TwoFourWideBench {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Long> L = LongVector.SPECIES_512;
    static final IntVector SH4, SH2, BASE0, BASE1;
    static {
        int[] s4 = new int[16], s2 = new int[16], b0 = new int[16], b1 = new int[16];
        for (int l = 0; l < 16; l++) { s4[l] = 4 * (l / 2); s2[l] = 2 * l; b0[l] = 4 * (l % 8 / 4); b1[l] = 8 + b0[l]; }
        SH4 = IntVector.fromArray(I, s4, 0); SH2 = IntVector.fromArray(I, s2, 0);
        BASE0 = IntVector.fromArray(I, b0, 0); BASE1 = IntVector.fromArray(I, b1, 0);
    }

    static final class Wide {
        final int rows, cols, blocks, full, q;
        final float[] v4, v2;   // slots of 36 (32 values, 2 x 64-bit words) and 34 (32 values, 2 x 32-bit words)
        final float[] vp;       // v2's slots with the chunks of blocks 2k and 2k + 1 side by side in each stream

        Wide(float[] w, int rows, int cols) {
            this.rows = rows; this.cols = cols; blocks = rows / 4; full = cols / 16; q = full / 4;
            v4 = new float[blocks * full * 36]; v2 = new float[blocks * full * 34];
            long[] w4 = new long[blocks * full * 2]; int[] w2 = new int[blocks * full * 2];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols / 4; g++) {
                    int p0 = -1, p1 = -1;
                    for (int p = 0; p < 4; p++) if (w[r * cols + 4 * g + p] != 0) { if (p0 < 0) p0 = p; else p1 = p; }
                    if (p0 < 0) { p0 = 0; p1 = 1; } else if (p1 < 0) { if (p0 == 3) { p1 = 3; p0 = 2; } else p1 = p0 + 1; }
                    int b = r / 4, pair = r % 4 / 2, c = g / 4, h = g % 4 / 2, lane = 4 * (g % 2) + 2 * (r % 2);
                    int slot = slot(b, c), L0 = 8 * pair + lane;
                    v4[slot * 36 + 16 * h + L0] = w[r * cols + 4 * g + p0]; v4[slot * 36 + 16 * h + L0 + 1] = w[r * cols + 4 * g + p1];
                    v2[slot * 34 + 16 * h + L0] = w[r * cols + 4 * g + p0]; v2[slot * 34 + 16 * h + L0 + 1] = w[r * cols + 4 * g + p1];
                    for (int s = 0; s < 2; s++) {
                        int Ls = L0 + s, p = s == 0 ? p0 : p1;
                        w4[slot * 2 + h] |= (long) (8 * h + 4 * (g % 2) + p) << (32 * (Ls % 2) + 4 * (Ls / 2));
                        w2[slot * 2 + h] |= p << (2 * Ls);
                    }
                }
            vp = new float[v2.length];
            for (int b = 0; b < blocks; b++) for (int c = 0; c < full; c++) System.arraycopy(v2, slot(b, c) * 34, vp, pslot(b, c) * 34, 32);
            for (int s = 0; s < blocks * full; s++)
                for (int h = 0; h < 2; h++) {
                    v4[s * 36 + 32 + 2 * h] = Float.intBitsToFloat((int) w4[s * 2 + h]);
                    v4[s * 36 + 33 + 2 * h] = Float.intBitsToFloat((int) (w4[s * 2 + h] >>> 32));
                    v2[s * 34 + 32 + h] = Float.intBitsToFloat(w2[s * 2 + h]);
                }
            for (int b = 0; b < blocks; b++) for (int c = 0; c < full; c++) System.arraycopy(v2, slot(b, c) * 34 + 32, vp, pslot(b, c) * 34 + 32, 2);
        }

        int slot(int b, int c) { return c < 4 * q ? (c / q * blocks + b) * q + c % q : 4 * q * blocks + b * (full - 4 * q) + c - 4 * q; }

        /** Block pairs: chunk i of stream s of blocks 2k, 2k + 1 at slots (s blocks + 2k) q + 2i + (b & 1). */
        int pslot(int b, int c) {
            int k = b & ~1;
            return c < 4 * q ? (c / q * blocks + k) * q + 2 * (c % q) + (b & 1) : 4 * q * blocks + k * (full - 4 * q) + 2 * (c - 4 * q) + (b & 1);
        }

        void wide2p(float[] x, float[] out, int from, int to) {
            int streamed = 4 * q, per = blocks * q;
            for (int b = from; b < to; b += 2) {
                FloatVector lo = FloatVector.zero(F), hi = lo, lo1 = lo, hi1 = lo;
                int first = b * q, restFirst = streamed * blocks + b * (full - streamed) - 2 * streamed;
                for (int i = 0; i < full; i++) {
                    int c = i < streamed ? (i >> 2) + (i & 3) * q : i;
                    int slot = i < streamed ? (i & 3) * per + first + 2 * (i >> 2) : restFirst + 2 * i;
                    int vo = slot * 34;
                    FloatVector xc = FloatVector.fromArray(F, x, c * 16);
                    IntVector i0 = IntVector.broadcast(I, Float.floatToRawIntBits(vp[vo + 32])).lanewise(VectorOperators.LSHR, SH2).and(3).or(BASE0);
                    IntVector i1 = IntVector.broadcast(I, Float.floatToRawIntBits(vp[vo + 33])).lanewise(VectorOperators.LSHR, SH2).and(3).or(BASE1);
                    IntVector i2 = IntVector.broadcast(I, Float.floatToRawIntBits(vp[vo + 66])).lanewise(VectorOperators.LSHR, SH2).and(3).or(BASE0);
                    IntVector i3 = IntVector.broadcast(I, Float.floatToRawIntBits(vp[vo + 67])).lanewise(VectorOperators.LSHR, SH2).and(3).or(BASE1);
                    lo = FloatVector.fromArray(F, vp, vo).fma(sel(xc, i0), lo);
                    hi = FloatVector.fromArray(F, vp, vo + 16).fma(sel(xc, i1), hi);
                    lo1 = FloatVector.fromArray(F, vp, vo + 34).fma(sel(xc, i2), lo1);
                    hi1 = FloatVector.fromArray(F, vp, vo + 50).fma(sel(xc, i3), hi1);
                }
                store(out, b, lo.add(hi));
                store(out, b + 1, lo1.add(hi1));
            }
        }

        static FloatVector sel(FloatVector x, IntVector index) { return index.selectFrom(x.reinterpretAsInts()).reinterpretAsFloats(); }

        static long word(float[] v, int i) { return Float.floatToRawIntBits(v[i]) & 0xFFFFFFFFL | (long) Float.floatToRawIntBits(v[i + 1]) << 32; }

        void wide4(float[] x, float[] out, int from, int to) {
            int streamed = 4 * q, per = blocks * q;
            for (int b = from; b < to; b++) {
                FloatVector lo = FloatVector.zero(F), hi = lo;
                int first = b * q, restFirst = streamed * blocks + b * (full - streamed) - streamed;
                for (int i = 0; i < full; i++) {
                    int c = i < streamed ? (i >> 2) + (i & 3) * q : i;
                    int slot = i < streamed ? (i & 3) * per + first + (i >> 2) : restFirst + i;
                    int vo = slot * 36;
                    FloatVector xc = FloatVector.fromArray(F, x, c * 16);
                    IntVector i0 = LongVector.broadcast(L, word(v4, vo + 32)).reinterpretAsInts().lanewise(VectorOperators.LSHR, SH4);
                    IntVector i1 = LongVector.broadcast(L, word(v4, vo + 34)).reinterpretAsInts().lanewise(VectorOperators.LSHR, SH4);
                    lo = FloatVector.fromArray(F, v4, vo).fma(sel(xc, i0), lo);
                    hi = FloatVector.fromArray(F, v4, vo + 16).fma(sel(xc, i1), hi);
                }
                store(out, b, lo.add(hi));
            }
        }

        void wide2(float[] x, float[] out, int from, int to) {
            int streamed = 4 * q, per = blocks * q;
            for (int b = from; b < to; b++) {
                FloatVector lo = FloatVector.zero(F), hi = lo;
                int first = b * q, restFirst = streamed * blocks + b * (full - streamed) - streamed;
                for (int i = 0; i < full; i++) {
                    int c = i < streamed ? (i >> 2) + (i & 3) * q : i;
                    int slot = i < streamed ? (i & 3) * per + first + (i >> 2) : restFirst + i;
                    int vo = slot * 34;
                    FloatVector xc = FloatVector.fromArray(F, x, c * 16);
                    IntVector i0 = IntVector.broadcast(I, Float.floatToRawIntBits(v2[vo + 32])).lanewise(VectorOperators.LSHR, SH2).and(3).or(BASE0);
                    IntVector i1 = IntVector.broadcast(I, Float.floatToRawIntBits(v2[vo + 33])).lanewise(VectorOperators.LSHR, SH2).and(3).or(BASE1);
                    lo = FloatVector.fromArray(F, v2, vo).fma(sel(xc, i0), lo);
                    hi = FloatVector.fromArray(F, v2, vo + 16).fma(sel(xc, i1), hi);
                }
                store(out, b, lo.add(hi));
            }
        }

        /** t = [pair 0 | pair 1]; row A of a pair ((t[a] + t[a + 1]) + t[a + 4]) + t[a + 5], as TwoFourF32Matrix. */
        static void store(float[] out, int b, FloatVector t) {
            out[4 * b] = t.lane(0) + t.lane(1) + t.lane(4) + t.lane(5);
            out[4 * b + 1] = t.lane(2) + t.lane(3) + t.lane(6) + t.lane(7);
            out[4 * b + 2] = t.lane(8) + t.lane(9) + t.lane(12) + t.lane(13);
            out[4 * b + 3] = t.lane(10) + t.lane(11) + t.lane(14) + t.lane(15);
        }
    }

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]), cols = Integer.parseInt(args[1]), threads = Integer.parseInt(args[2]);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 15;
        int copies = (int) Math.max(1, (96L << 20) / ((long) rows * cols * 2 + (long) rows * cols / 8));
        SplittableRandom rnd = new SplittableRandom(3);
        F32Matrix[] dense = new F32Matrix[copies];
        TwoFourF32Matrix[] now = new TwoFourF32Matrix[copies];
        Wide[] wide = new Wide[copies];
        for (int k = 0; k < copies; k++) {
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < rows; i++) TwoFourF32Matrix.keepLargestTwo(w, i * cols, cols);
            dense[k] = F32Matrix.of(w, rows, cols);
            now[k] = TwoFourF32Matrix.of(dense[k]);
            wide[k] = new Wide(w, rows, cols);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        String[] names = {"dense", "now", "wide4", "wide2", "wide2p"};
        long[] bytes = {dense[0].byteSize(), now[0].byteSize(), 4L * wide[0].v4.length, 4L * wide[0].v2.length, 4L * wide[0].vp.length};
        int blocks = rows / 4, grain = (int) Math.min(Math.max(4, blocks), ((1 << 15) / ((long) cols * 2) + 3) / 4 * 4);
        double[][] ms = new double[names.length][rounds];
        try (Parallel par = new Parallel(threads)) {
            float[] ref = new float[rows], y = new float[rows];
            now[0].matmul(x, 1, ref, par);
            for (int v = 2; v < names.length; v++) {
                Arrays.fill(y, Float.NaN);
                run(v, dense[0], now[0], wide[0], x, y, par, blocks, grain);
                if (!Arrays.equals(ref, y)) throw new AssertionError(names[v] + " differs from TwoFourF32Matrix");
            }
            for (int round = -3; round < rounds; round++)
                for (int j = 0; j < names.length; j++) {
                    int v = (j + Math.max(0, round)) % names.length;
                    long t0 = System.nanoTime();
                    for (int k = 0; k < copies; k++) run(v, dense[k], now[k], wide[k], x, y, par, blocks, grain);
                    if (round >= 0) ms[v][round] = (System.nanoTime() - t0) / 1e6 / copies;
                }
        }
        System.out.printf("[%d, %d] x %d copies, %d threads, %d rounds (wall; GB/s of the bytes each reads; speedup vs dense)%n", rows, cols, copies, threads, rounds);
        double[] d = ms[0].clone(); Arrays.sort(d);
        for (int v = 0; v < names.length; v++) {
            double[] s = ms[v].clone(); Arrays.sort(s);
            double best = s[0], med = s[rounds / 2];
            System.out.printf("  %-8s %6.2f MB  best %.3f ms %5.1f GB/s %.2fx | median %.3f ms %5.1f GB/s %.2fx%n", names[v], bytes[v] / 1e6,
                    best, bytes[v] / best / 1e6, d[0] / best, med, bytes[v] / med / 1e6, d[rounds / 2] / med);
        }
    }

    static void run(int v, F32Matrix dense, TwoFourF32Matrix now, Wide w, float[] x, float[] y, Parallel par, int blocks, int grain) {
        switch (v) {
            case 0 -> dense.matmul(x, 1, y, par);
            case 1 -> now.matmul(x, 1, y, par);
            case 2 -> par.forRange(blocks, grain, (f, t) -> w.wide4(x, y, f, t));
            case 3 -> par.forRange(blocks, grain, (f, t) -> w.wide2(x, y, f, t));
            default -> par.forRange(blocks / 2, grain / 2, (f, t) -> w.wide2p(x, y, 2 * f, 2 * t));
        }
    }
}
