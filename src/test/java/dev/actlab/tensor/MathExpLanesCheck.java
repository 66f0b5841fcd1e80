package dev.actlab.tensor;

/**
 * Every float x against MathExpLanes: exp(x) on the lanes against (float) Math.exp(x), bit for bit, and how many
 * vectors the guard sent to the scalar expression. Minutes of one core, so not a unit test (MathExpLanesTest samples).
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.MathExpLanesCheck</pre>
 */
public final class MathExpLanesCheck {
    public static void main(String[] args) {
        int block = 1 << 16;
        float[] x = new float[block], y = new float[block];
        long mismatches = 0, checked = 0, fallbacks = 0, vectors = 0;
        for (long b = 0; b < 0x1_0000_0000L; b += block) {
            for (int i = 0; i < block; i++) x[i] = Float.intBitsToFloat((int) (b + i));
            MathExpLanes.exp(x, 0, block, 1f, 0f, y, 0);
            for (int i = 0; i < block; i++)
                if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(MathExpLanes.expScalar(x[i]))) {
                    if (mismatches++ < 10) System.out.println("mismatch at " + x[i] + ": " + y[i] + " vs " + MathExpLanes.expScalar(x[i]));
                }
            checked += block;
            for (int i = 0; i < block; i += MathExpLanes.L) {
                if (!(x[i] >= -87f && x[i] <= 88f)) continue;   // out of range: scalar by design
                vectors++;
                if (!MathExpLanes.lanes(x, i, 1f, 0f, y, i)) fallbacks++;
            }
        }
        System.out.printf("checked %,d floats, %d mismatches; in-range vectors %,d, sent to the scalar expression %,d (%.2e)%n",
                checked, mismatches, vectors, fallbacks, fallbacks / (double) vectors);
    }
}
