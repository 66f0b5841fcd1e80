package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** patch.html: the clean prompt coloured by the restored fraction of its strongest site, on a diverging scale. */
class PatchReportTokensTest {
    @Test void theCleanPromptCarriesTheStrongestSitesFractions() throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] clean = m.tokenizer().encode("When the man came home, he said that", true);
        int[] corrupt = m.tokenizer().encode("When the woman came home, she said that", true);
        assertEquals(clean.length, corrupt.length);
        PatchMetric metric = PatchMetric.parse("logit_diff: he, she", m.tokenizer(), m.vocabSize());
        List<String> sites = ActivationPatching.selectSites(m.sites(), List.of("blocks.*.hook_resid_pre"));
        PatchExperiment x = PatchExperiment.run(m, clean, corrupt, metric, sites, ActivationPatching.Positions.EACH, false, Progress.NONE);
        var r = x.result();
        int best = 0;
        double bestSum = -1;
        for (int s = 0; s < sites.size(); s++) {
            double sum = 0;
            for (int c = 0; c < r.columns(); c++) sum += Math.abs(r.restored(s, c));
            if (sum > bestSum) { bestSum = sum; best = s; }
        }
        String html = PatchReport.html(x);
        assertTrue(html.contains("patching " + sites.get(best) + " at each position"), "names the site");
        double maxAbs = 0;
        for (int c = 0; c < r.columns(); c++) maxAbs = Math.max(maxAbs, Math.abs(r.restored(best, c)));
        ColorScale scale = ColorScale.diverging(maxAbs);
        Matcher t = Pattern.compile("<span class=\"t\" style=\"background:(#[0-9a-f]{6});").matcher(html);
        for (int c = 0; c < r.columns(); c++) {
            assertTrue(t.find(), "token " + c);
            assertEquals(scale.color(r.restored(best, c)), t.group(1), "position " + c);
        }
        assertFalse(t.find(), "one span per clean token");
        assertTrue(html.contains("red negative, white 0, blue positive"));
        assertFalse(Pattern.compile("<text class=\"cell\"[^>]*>-?0</text>").matcher(html).find(), "no cell prints a bare 0");
    }
}
