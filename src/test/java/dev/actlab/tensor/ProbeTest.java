package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bench probes' inner loops compute what their scalar references say, bit for bit. */
class ProbeTest {
    @Test
    void fmaProbeRunsTheChainsItCounts() {
        for (int iters : new int[]{0, 1, 2, 1000}) assertEquals(FmaProbe.reference(iters), FmaProbe.run(iters), 0f, iters + " iterations");
    }

    @Test
    void readProbeSumsEveryFloat() {
        long bytes = 5 * ReadProbe.STEP_BYTES;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(bytes + 64, 64);
            ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            SplittableRandom rng = new SplittableRandom(5);
            for (long o = 0; o + 4 <= m.byteSize(); o += 4) m.set(f, o, (float) rng.nextGaussian());
            double exact = 0;
            for (long o = 16; o < 16 + bytes; o += 4) exact += m.get(f, o);
            float got = ReadProbe.sum(m, 16, bytes);
            assertEquals(ReadProbe.reference(m, 16, bytes), got, 0f);
            assertEquals(exact, got, 1e-4);
            assertThrows(IllegalArgumentException.class, () -> ReadProbe.sum(m, 0, bytes - 4));
        }
    }
}
