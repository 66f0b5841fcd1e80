package dev.actlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 decode GEMV variants on one thread (branch decode5, AVX-512), alternating rounds, weight GB per CPU-second
 * best / median, and each variant's largest difference to dotScalar. Not a test. Run: java --add-modules
 * jdk.incubator.vector -cp target/classes:target/test-classes -Drounds=10 -Dvariants=main,int,f256,int16
 * dev.actlab.tensor.Q4VariantBench [rows cols]. Variants: main (the default float kernel), int (the opt-in integer
 * kernel, Q4_0Matrix.intDecode, x rounded per call), f256 (main's rows2 on 256-bit lanes), int16 (the first
 * integer form: nibbles masked, the -8 offset as a scalar sum per row), int16x2 (int16, two rows per pass),
 * int16p (int16 with the shorts pair-summed into 8 int lanes).
 */
public final class Q4VariantBench {
    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

    /** rows2 on 256-bit lanes (the AVX2 shape). */
    static void rowsF256(Q4_0Matrix m, float[] x, float[] out) {
        float[] xs = new float[m.blocks * 8];
        for (int b = 0; b < m.blocks; b++) {
            FloatVector v = FloatVector.zero(F8);
            for (int k = 0; k < 16; k += 8) v = v.add(FloatVector.fromArray(F8, x, 32 * b + k)).add(FloatVector.fromArray(F8, x, 32 * b + 16 + k));
            v.mul(8f).intoArray(xs, b * 8);
        }
        MemorySegment data = m.data;
        for (int r = 0; r < m.rows; r += 2) {
            long o0 = r * m.rowBytes + 2, o1 = o0 + m.rowBytes;
            FloatVector a0 = FloatVector.zero(F8), a1 = a0;
            for (int b = 0, xb = 0; b < m.blocks; b++, o0 += 18, o1 += 18, xb += 32) {
                FloatVector s0 = FloatVector.zero(F8), s1 = s0;
                for (int k = 0; k < 16; k += 8) {
                    FloatVector xl = FloatVector.fromArray(F8, x, xb + k), xh = FloatVector.fromArray(F8, x, xb + 16 + k);
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B8, data, o0 + k, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
                    s0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).castShape(F8, 0)).fma(xh, ((FloatVector) q.and(15).castShape(F8, 0)).fma(xl, s0));
                    q = (IntVector) ByteVector.fromMemorySegment(B8, data, o1 + k, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
                    s1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).castShape(F8, 0)).fma(xh, ((FloatVector) q.and(15).castShape(F8, 0)).fma(xl, s1));
                }
                FloatVector xsb = FloatVector.fromArray(F8, xs, b * 8);
                a0 = s0.sub(xsb).fma(FloatVector.broadcast(F8, Float.float16ToFloat(data.get(PackedMatrix.I16, o0 - 2))), a0);
                a1 = s1.sub(xsb).fma(FloatVector.broadcast(F8, Float.float16ToFloat(data.get(PackedMatrix.I16, o1 - 2))), a1);
            }
            out[r] = a0.reduceLanes(VectorOperators.ADD);
            out[r + 1] = a1.reduceLanes(VectorOperators.ADD);
        }
    }

    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;

    /**
     * x rounded to Q8_0 (int8 in shorts, pairs packed in ints), per block: 16 shorts of lo * xlo + hi * xhi,
     * widened to 16 floats, one FMA with d_w d_x; the -8 offset as a scalar sum per row.
     */
    static void rowsInt16(Q4_0Matrix m, float[] x, float[] out) {
        int blocks = m.blocks;
        int[] pairs = new int[m.cols / 2];
        float[] dx = new float[blocks], off = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            dx[b] = GgmlInputRounding.q8_0Ints(x, 32 * b, pairs, 16 * b);
            int s = 0;
            for (int k = 0; k < 16; k++) s += (short) pairs[16 * b + k] + (pairs[16 * b + k] >> 16);
            off[b] = 8 * s * dx[b];
        }
        rowsInt16(m, pairs, dx, off, out, 0, m.rows);
    }

    static void rowsInt16(Q4_0Matrix m, int[] pairs, float[] dx, float[] off, float[] out, int from, int to) {
        MemorySegment data = m.data;
        int blocks = m.blocks;
        for (int r = from; r < to; r++) {
            long o = r * m.rowBytes;
            FloatVector even = FloatVector.zero(F16), odd = even;
            float offs = 0;
            int b = 0;
            for (; b + 2 <= blocks; b += 2, o += 36) {
                float d0 = Float.float16ToFloat(data.get(PackedMatrix.I16, o)), d1 = Float.float16ToFloat(data.get(PackedMatrix.I16, o + 18));
                even = block16(data, o + 2, pairs, 16 * b).fma(FloatVector.broadcast(F16, d0 * dx[b]), even);
                odd = block16(data, o + 20, pairs, 16 * b + 16).fma(FloatVector.broadcast(F16, d1 * dx[b + 1]), odd);
                offs = Math.fma(d0, off[b], offs);
                offs = Math.fma(d1, off[b + 1], offs);
            }
            if (b < blocks) {
                float d0 = Float.float16ToFloat(data.get(PackedMatrix.I16, o));
                even = block16(data, o + 2, pairs, 16 * b).fma(FloatVector.broadcast(F16, d0 * dx[b]), even);
                offs = Math.fma(d0, off[b], offs);
            }
            out[r] = even.add(odd).reduceLanes(VectorOperators.ADD) - offs;
        }
    }

    static FloatVector block16(MemorySegment data, long q, int[] pairs, int xo) {
        ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, data, q, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
        ShortVector p = v.and((short) 15).mul(IntVector.fromArray(I8, pairs, xo).reinterpretAsShorts())
                .add(v.lanewise(VectorOperators.LSHR, 4).mul(IntVector.fromArray(I8, pairs, xo + 8).reinterpretAsShorts()));
        return (FloatVector) p.castShape(F16, 0);
    }

    /** rowsInt16, two rows per pass sharing x's loads. */
    static void rowsInt16x2(Q4_0Matrix m, float[] x, float[] out) {
        int blocks = m.blocks;
        int[] pairs = new int[m.cols / 2];
        float[] dx = new float[blocks], off = new float[blocks];
        prep(m, x, pairs, dx, off);
        MemorySegment data = m.data;
        for (int r = 0; r < m.rows; r += 2) {
            long o = r * m.rowBytes, p = o + m.rowBytes;
            FloatVector a0 = FloatVector.zero(F16), a1 = a0;
            float f0 = 0, f1 = 0;
            for (int b = 0; b < blocks; b++, o += 18, p += 18) {
                float d0 = Float.float16ToFloat(data.get(PackedMatrix.I16, o)) , d1 = Float.float16ToFloat(data.get(PackedMatrix.I16, p));
                ShortVector xl = IntVector.fromArray(I8, pairs, 16 * b).reinterpretAsShorts(), xh = IntVector.fromArray(I8, pairs, 16 * b + 8).reinterpretAsShorts();
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, data, o + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B16, data, p + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                float db = dx[b];
                a0 = ((FloatVector) v.and((short) 15).mul(xl).add(v.lanewise(VectorOperators.LSHR, 4).mul(xh)).castShape(F16, 0)).fma(FloatVector.broadcast(F16, d0 * db), a0);
                a1 = ((FloatVector) w.and((short) 15).mul(xl).add(w.lanewise(VectorOperators.LSHR, 4).mul(xh)).castShape(F16, 0)).fma(FloatVector.broadcast(F16, d1 * db), a1);
                f0 = Math.fma(d0, off[b], f0);
                f1 = Math.fma(d1, off[b], f1);
            }
            out[r] = a0.reduceLanes(VectorOperators.ADD) - f0;
            out[r + 1] = a1.reduceLanes(VectorOperators.ADD) - f1;
        }
    }

    static void prep(Q4_0Matrix m, float[] x, int[] pairs, float[] dx, float[] off) {
        for (int b = 0; b < m.blocks; b++) {
            dx[b] = GgmlInputRounding.q8_0Ints(x, 32 * b, pairs, 16 * b);
            int s = 0;
            for (int k = 0; k < 16; k++) s += (short) pairs[16 * b + k] + (pairs[16 * b + k] >> 16);
            off[b] = 8 * s * dx[b];
        }
    }

    /** rowsInt16 with the 16 shorts pair-summed into 8 ints, 8 float lanes. */
    static void rowsInt16p(Q4_0Matrix m, float[] x, float[] out) {
        int blocks = m.blocks;
        int[] pairs = new int[m.cols / 2];
        float[] dx = new float[blocks], off = new float[blocks];
        prep(m, x, pairs, dx, off);
        MemorySegment data = m.data;
        for (int r = 0; r < m.rows; r++) {
            long o = r * m.rowBytes;
            FloatVector even = FloatVector.zero(F8), odd = even;
            float offs = 0;
            int b = 0;
            for (; b + 2 <= blocks; b += 2, o += 36) {
                float d0 = Float.float16ToFloat(data.get(PackedMatrix.I16, o)), d1 = Float.float16ToFloat(data.get(PackedMatrix.I16, o + 18));
                even = block8(data, o + 2, pairs, 16 * b).fma(FloatVector.broadcast(F8, d0 * dx[b]), even);
                odd = block8(data, o + 20, pairs, 16 * b + 16).fma(FloatVector.broadcast(F8, d1 * dx[b + 1]), odd);
                offs = Math.fma(d0, off[b], offs);
                offs = Math.fma(d1, off[b + 1], offs);
            }
            out[r] = even.add(odd).reduceLanes(VectorOperators.ADD) - offs;
        }
    }

    static FloatVector block8(MemorySegment data, long q, int[] pairs, int xo) {
        ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, data, q, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
        IntVector p = v.and((short) 15).mul(IntVector.fromArray(I8, pairs, xo).reinterpretAsShorts())
                .add(v.lanewise(VectorOperators.LSHR, 4).mul(IntVector.fromArray(I8, pairs, xo + 8).reinterpretAsShorts())).reinterpretAsInts();
        return (FloatVector) p.lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
    }

    interface Kernel { void run(float[] x, float[] out); }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 8192, cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int rounds = Integer.getInteger("rounds", 10);
        String[] variants = System.getProperty("variants", "main,f256,int16").split(",");
        SplittableRandom rnd = new SplittableRandom(3);
        float[] w = new float[cols];
        MemorySegment seg = Arena.global().allocate((long) rows * (cols / 32) * 18, 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) w[c] = (float) rnd.nextGaussian();
            Q4_0Matrix.quantize(w, 0, cols, seg, (long) r * (cols / 32) * 18);
        }
        Q4_0Matrix m = new Q4_0Matrix(seg, rows, cols);
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) x[c] = (float) rnd.nextGaussian();
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[] ref = new float[rows];
        for (int r = 0; r < rows; r++) ref[r] = m.dotScalar(r, x, 0);
        double[][] gbs = new double[variants.length][rounds];
        for (int round = -2; round < rounds; round++)
            for (int v = 0; v < variants.length; v++) {
                float[] out = new float[rows];
                Kernel k = switch (variants[v]) {
                    case "main" -> (xx, oo) -> m.matmulRows(xx, 1, oo, 0, rows);
                    case "int" -> (xx, oo) -> { Q4_0Matrix.intDecode = true; m.matmulRows(xx, 1, oo, 0, rows); Q4_0Matrix.intDecode = false; };
                    case "f256" -> (xx, oo) -> rowsF256(m, xx, oo);
                    case "int16" -> (xx, oo) -> rowsInt16(m, xx, oo);
                    case "int16x2" -> (xx, oo) -> rowsInt16x2(m, xx, oo);
                    case "int16p" -> (xx, oo) -> rowsInt16p(m, xx, oo);
                    default -> throw new IllegalArgumentException(variants[v]);
                };
                int reps = round < 0 ? 30 : 20;
                long t0 = bean.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) k.run(x, out);
                long t1 = bean.getCurrentThreadCpuTime();
                if (round >= 0) gbs[v][round] = reps * seg.byteSize() / (double) (t1 - t0);
                if (round == rounds - 1) {
                    double maxd = 0, maxr = 0;
                    for (int r = 0; r < rows; r++) { maxd = Math.max(maxd, Math.abs(out[r] - ref[r])); maxr = Math.max(maxr, Math.abs(ref[r])); }
                    double[] g = gbs[v].clone();
                    Arrays.sort(g);
                    System.out.printf("%-8s %6.2f / %6.2f GB per CPU-second; max |diff| to dotScalar %.3g of max |out| %.3g%n", variants[v], g[rounds - 1], g[rounds / 2], maxd, maxr);
                }
            }
    }
}
