package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A hook at a sparsified site sees the sparsified activation (TEAL, WINA, CHESS on the default decoder):
 * at ln1.hook_normalized, attn.hook_z, ln2.hook_normalized and mlp.hook_post, what the hook sees (i) has its
 * skipped entries at zero - every non-zero entry passes the method's rule, judged directly here - and (ii) is
 * what the matmul read: the matmul's output at the next site (hook_q, hook_attn_out, mlp.hook_pre,
 * hook_mlp_out) equals the weights times the seen activation, computed here in double. Before this change the
 * hooks saw the dense activation and (ii) failed. Prefill and decode.
 */
class SparseHookTest {
    /** Sparsified site, matrix behind it (index into the layer's matrices), the site that shows that matrix's output. */
    private record Probe(HookSite seen, SiteKind kind, HookSite product) {}

    private static final Probe[] PROBES = {
            new Probe(HookSite.LN1_NORMALIZED, SiteKind.ATTN_QKV, HookSite.ATTN_Q),
            new Probe(HookSite.ATTN_Z, SiteKind.ATTN_OUTPUT, HookSite.ATTN_OUT),
            new Probe(HookSite.LN2_NORMALIZED, SiteKind.FFN_GATE_UP, HookSite.MLP_PRE),
            new Probe(HookSite.MLP_POST, SiteKind.FFN_DOWN, HookSite.MLP_OUT)};

    @ParameterizedTest
    @ValueSource(strings = {"teal", "wina", "chess"})
    void aHookAtASparsifiedSiteSeesTheZeroedInputTheMatmulReads(String method) throws Exception {
        LlamaModel m = TealTest.brown();
        Thresholds th = SparsitySpec.calibrate(method, m, CalibrationText.of(m, null, 512), 0.5, Progress.NONE);
        SparseModel s = SparseModel.of(m, th, true);
        float[][][] scales = WinaScales.of(m.weights());
        int[] tokens = m.tokenizer().encode("The committee said the city would need new schools", true);

        Map<String, float[]> seen = new HashMap<>();
        Hooks h = new Hooks();
        for (int l = 0; l < m.config().layers(); l++)
            for (Probe p : PROBES)
                for (HookSite site : new HookSite[]{p.seen, p.product})
                    h.add(site.nameAt(l), a -> seen.put(a.name, Arrays.copyOfRange(a.data, a.offset, a.offset + a.size())));

        long[] counts = new long[2];   // zeros, entries
        s.model().runWithHooks(tokens, h);   // prefill
        check(m, th, scales, method, seen, tokens.length, counts);
        KvCache cache = s.model().newCache();
        for (int t : tokens) {               // decode: the input-major column kernels
            seen.clear();
            s.model().forward(cache, new int[]{t}, h, false);
            check(m, th, scales, method, seen, 1, counts);
        }
        double zeroFraction = (double) counts[0] / counts[1];
        assertTrue(zeroFraction > 0.3 && zeroFraction < 0.7, method + ": fraction of zeros the hooks saw " + zeroFraction);
    }

    private static void check(LlamaModel m, Thresholds th, float[][][] scales, String method, Map<String, float[]> seen, int n, long[] counts) {
        LlamaWeights w = m.weights();
        for (int l = 0; l < m.config().layers(); l++) {
            WeightMatrix[] mats = {w.wq()[l], w.wo()[l], w.wGate()[l], w.wDown()[l]};
            float[][] norms = {w.attnNorm()[l], null, w.ffnNorm()[l], null};
            for (int k = 0; k < PROBES.length; k++) {
                Probe p = PROBES[k];
                float[] x = seen.get(p.seen.nameAt(l)), y = seen.get(p.product.nameAt(l));
                WeightMatrix wm = mats[k];
                int cols = wm.cols(), rows = wm.rows();
                assertEquals(n * cols, x.length, p.seen.nameAt(l));
                Thresholds.Site site = th.site(l, p.kind);
                float[] row = new float[cols];
                for (int t = 0; t < n; t++) {
                    for (int i = 0; i < cols; i++) {
                        float v = x[t * cols + i];
                        float in = norms[k] == null ? v : v * norms[k][i];   // the matmul's input
                        counts[1]++;
                        if (v == 0f) { counts[0]++; continue; }
                        float bar = method.equals("chess") ? site.channels()[i] : site.threshold();
                        double crit = method.equals("wina") ? Math.abs(in) * scales[l][p.kind.ordinal()][i] : Math.abs(in);
                        assertTrue(crit >= bar, p.seen.nameAt(l) + " shows entry " + i + " = " + v + " that " + method + " skips");
                    }
                    for (int r = 0; r < rows; r++) {
                        wm.dequantizeRow(r, row, 0);
                        double sum = 0, mag = 0;
                        for (int i = 0; i < cols; i++) {
                            double in = norms[k] == null ? x[t * cols + i] : (double) (x[t * cols + i] * norms[k][i]);
                            sum += row[i] * in;
                            mag += Math.abs(row[i] * in);
                        }
                        assertEquals(sum, y[t * rows + r], 1e-5 * mag + 1e-6, p.product.nameAt(l) + " row " + r + ", position " + t
                                + ": the matmul did not read what " + p.seen.nameAt(l) + " showed");
                    }
                }
            }
        }
    }
}
