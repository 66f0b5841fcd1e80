package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steering-vector extraction: the methods on synthetic activations with a planted direction, then on the default decoder. */
class VectorExtractionTest {
    @TempDir Path dir;

    static double cos(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) { ab += (double) a[i] * b[i]; aa += (double) a[i] * a[i]; bb += (double) b[i] * b[i]; }
        return ab / Math.sqrt(aa * bb);
    }

    /** n pairs in d dimensions: a context shared by the pair, plus or minus along/2 on the planted unit w, plus noise. */
    record Synthetic(float[][] pos, float[][] neg, float[] w) {}

    static Synthetic synthetic(int n, int d, long seed, double along) { return synthetic(n, d, seed, along, 3, 0.3); }

    static Synthetic synthetic(int n, int d, long seed, double along, double contextStd, double noiseStd) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[d];
        for (int i = 0; i < d; i++) w[i] = (float) r.nextGaussian();
        w = DirectionalAblation.unit(w);
        float[][] pos = new float[n][d], neg = new float[n][d];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < d; i++) {
                double context = contextStd * r.nextGaussian();
                pos[k][i] = (float) (context + along / 2 * w[i] + noiseStd * r.nextGaussian());
                neg[k][i] = (float) (context - along / 2 * w[i] + noiseStd * r.nextGaussian());
            }
        }
        return new Synthetic(pos, neg, w);
    }

    @Test
    void caaRecoversAPlantedDirectionAndItsLength() {
        Synthetic s = synthetic(200, 64, 1, 1.5);
        float[] v = VectorExtraction.caa(s.pos, s.neg);
        assertTrue(cos(v, s.w) > 0.98, "cos " + cos(v, s.w));
        double len = Math.sqrt(VectorExtraction.dot(v, v));
        assertEquals(1.5, len, 0.15, "the raw CAA vector has the planted difference's length");
        assertEquals(1.0, VectorExtraction.pairAccuracy(v, s.pos, s.neg), 0.0);
        Synthetic none = synthetic(200, 64, 1, 0.0);
        assertTrue(Math.sqrt(VectorExtraction.dot(VectorExtraction.caa(none.pos, none.neg), VectorExtraction.caa(none.pos, none.neg))) < 0.3,
                "nothing planted, nothing found beyond noise");
    }

    @Test
    void pcaRecoversThePlantedDirectionWithPositivesProjectingHigher() {
        for (int n : new int[]{20, 200}) {   // fewer pairs than dimensions (Gram matrix) and more (covariance)
            Synthetic s = synthetic(n, 64, 2 + n, 1.5, 3, 0.1);
            float[] v = VectorExtraction.pca(s.pos, s.neg);
            assertTrue(cos(v, s.w) > 0.95, n + " pairs: cos " + cos(v, s.w));
            Synthetic flipped = new Synthetic(s.neg, s.pos, s.w);
            assertTrue(cos(VectorExtraction.pca(flipped.pos, flipped.neg), s.w) < -0.95, "swapping the classes flips the sign");
        }
    }

    @Test
    void meanTakesUnpairedSetsOfDifferentSizes() {
        Synthetic s = synthetic(120, 32, 5, 2.0, 0.2, 0.3);   // unpaired: the context does not cancel, so keep it small
        float[][] fewerNeg = java.util.Arrays.copyOf(s.neg, 50);
        float[] v = VectorExtraction.meanDifference(s.pos, fewerNeg);
        assertTrue(cos(v, s.w) > 0.8, "cos " + cos(v, s.w));
        assertTrue(VectorExtraction.auroc(v, s.pos, fewerNeg) > 0.65);
        assertEquals(0.5, VectorExtraction.auroc(v, s.pos, s.pos), 1e-12, "a set against itself is chance");
    }

    @Test
    void principalComponentMatchesAKnownSpectrum() {
        // rows along e0 (length 3) and e1 (length 1): the component is e0 and explains 9 / 10 of the squared length
        double[][] x = {{3, 0, 0}, {0, 1, 0}, {-3, 0, 0}, {0, -1, 0}};
        PrincipalComponent pc = PrincipalComponent.first(x);
        assertEquals(1.0, Math.abs(pc.direction()[0]), 1e-12);
        assertEquals(0.9, pc.explained(), 1e-12);
        double[][] many = new double[10][2];   // more rows than columns: the covariance route
        for (int i = 0; i < 10; i++) { many[i][0] = i % 2 == 0 ? 1 : -1; many[i][1] = i % 2 == 0 ? 2 : -2; }
        PrincipalComponent p2 = PrincipalComponent.first(many);
        assertEquals(1 / Math.sqrt(5), Math.abs(p2.direction()[0]), 1e-12);
        assertEquals(1.0, p2.explained(), 1e-12);
    }

    @Test
    void ablationLeavesRowsOrthogonalAndKeepsTheRest() {
        Synthetic s = synthetic(50, 48, 9, 4.0);
        float[] u = DirectionalAblation.unit(s.w);
        float[] x = new float[50 * 48];
        for (int k = 0; k < 50; k++) System.arraycopy(s.pos[k], 0, x, k * 48, 48);
        float[] before = x.clone();
        DirectionalAblation.project(x, 0, 50, u);
        for (int k = 0; k < 50; k++) {
            double dot = 0, norm = 0, orig = 0;
            for (int i = 0; i < 48; i++) { dot += x[k * 48 + i] * u[i]; norm += x[k * 48 + i] * x[k * 48 + i]; orig += before[k * 48 + i] * u[i]; }
            assertTrue(Math.abs(dot) < 1e-5 * Math.sqrt(norm), "row " + k + ": " + dot);
            for (int i = 0; i < 48; i++) assertEquals(before[k * 48 + i] - orig * u[i], x[k * 48 + i], 1e-5, "only the component along v is removed");
        }
    }

    @Test
    void onTheDefaultDecoderTensePairsGiveAVectorThatSeparatesThem() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        ContrastivePairs pairs = ContrastivePairs.parse(Files.readAllLines(Path.of("src/main/resources/dev/actlab/steer/present-past.tsv")), "present-past.tsv");
        assertEquals(40, pairs.size());
        List<String> notes = new ArrayList<>();
        List<String> sites = VectorExtraction.sites(m, "blocks.*.hook_resid_post", notes);
        assertEquals(List.of("blocks.1.hook_resid_post", "blocks.2.hook_resid_post", "blocks.3.hook_resid_post", "blocks.4.hook_resid_post"), sites);
        assertEquals(1, notes.size(), "layer 0 is left out with a note");
        // first half to extract, second half held out: the held-out pairs are separated too
        ContrastivePairs train = new ContrastivePairs(pairs.positives().subList(0, 20), pairs.negatives().subList(0, 20), true, "train");
        var r = VectorExtraction.extract(m, train, sites, VectorExtraction.Method.CAA, VectorExtraction.Position.MEAN, false, notes, null);
        float[][][] pos = VectorExtraction.activations(m, pairs.positives().subList(20, 40), sites, VectorExtraction.Position.MEAN, null, 0, 20);
        float[][][] neg = VectorExtraction.activations(m, pairs.negatives().subList(20, 40), sites, VectorExtraction.Position.MEAN, null, 0, 20);
        for (int s = 0; s < sites.size(); s++)
            assertTrue(VectorExtraction.pairAccuracy(r.layers().get(s).vector(), pos[s], neg[s]) >= 0.9, sites.get(s) + " held-out pairs separated");
        Path out = dir.resolve("tense.gguf");
        r.controlVector(m.architecture(), out.toString()).write(out);
        ControlVector back = ControlVector.read(out);
        assertEquals(List.of(1, 2, 3, 4), back.layers());
        assertArrayEquals(r.layers().get(2).vector(), back.direction(3));
        var pca = VectorExtraction.extract(m, train, sites, VectorExtraction.Method.PCA, VectorExtraction.Position.MEAN, true, notes, null);
        assertEquals(1.0, pca.layers().get(0).norm(), 1e-5, "--normalize gives unit vectors");
        assertTrue(cos(pca.layers().get(2).vector(), r.layers().get(2).vector()) > 0.5, "PCA and CAA agree on the direction");
    }

    @Test
    void badPairFilesNameTheLine() {
        FormatException tabs = assertThrows(FormatException.class, () -> ContrastivePairs.parse(List.of("a\tb", "only one"), "p.tsv"));
        assertEquals("line 2", tabs.field());
        FormatException json = assertThrows(FormatException.class, () -> ContrastivePairs.parse(List.of("{\"positive\": \"a\"}"), "p.jsonl"));
        assertEquals("line 1.negative", json.field());
        ContrastivePairs j = assertDoesNotThrow(() -> ContrastivePairs.parse(List.of("# comment", "{\"prompt\": \"He \", \"positive\": \"is\", \"negative\": \"was\"}"), "p.jsonl"));
        assertEquals(List.of("He is"), j.positives());
        assertEquals(List.of("He was"), j.negatives());
        assertThrows(FormatException.class, () -> ContrastivePairs.parse(List.of("{\"positive\": \"a\", \"negative\": 3}"), "p.jsonl"));
    }
}
