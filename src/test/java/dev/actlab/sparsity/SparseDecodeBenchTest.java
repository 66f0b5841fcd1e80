package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.Parallel;
import dev.actlab.testutil.Shared;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dense-against-sparse decode bench on stories260K: wall-clock and CPU-time figures. */
class SparseDecodeBenchTest {
    private static SparseDecodeBench.Result bench(int threads) throws Exception {
        LlamaModel dense = Llama2cReader.read(Shared.stories260K());
        Thresholds th = TealCalibration.calibrate(dense, CalibrationText.of(dense, null, 128).tokens(), 0.5, "random", Progress.NONE);
        dense.withParallel(new Parallel(threads));
        return SparseDecodeBench.run(dense, SparseModel.of(dense, th, true), 8, 24, 3, 1);
    }

    @Test
    void oneThreadReportsCpuTimeFiguresThatAreNeverBelowTheWallClockOnes() throws Exception {
        SparseDecodeBench.Result r = bench(1);
        assertTrue(r.hasCpuTime());
        for (int i = 0; i < 3; i++) {
            // the decoding thread cannot run longer than the time that passed: tokens per CPU second >= tokens per wall second
            assertTrue(r.denseCpuTps()[i] >= 0.98 * r.denseTps()[i], "dense round " + i + ": " + r.denseCpuTps()[i] + " < " + r.denseTps()[i]);
            assertTrue(r.sparseCpuTps()[i] >= 0.98 * r.sparseTps()[i], "sparse round " + i + ": " + r.sparseCpuTps()[i] + " < " + r.sparseTps()[i]);
        }
        Map<String, Object> j = r.toJson();
        assertEquals(r.cpuSpeedupMedian(), (double) j.get("speedup_cpu_time"));
        assertTrue(r.cpuSpeedupMedian() > 0 && Double.isFinite(r.cpuSpeedupMedian()));
        assertEquals(0.5, r.weightSparsity(), 0.1);
    }

    @Test
    void moreThreadsLeaveTheCpuTimeFiguresOut() throws Exception {
        SparseDecodeBench.Result r = bench(2);
        assertFalse(r.hasCpuTime());
        assertFalse(r.toJson().containsKey("speedup_cpu_time"));
        assertTrue(r.toJson().containsKey("speedup"));
    }
}
