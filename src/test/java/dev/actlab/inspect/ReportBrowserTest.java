package dev.actlab.inspect;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stories260K report opened in headless Chromium: the DOM it builds holds every chart with
 * content, and the screenshot is a rendered page. Skips when /usr/bin/chromium is absent, except where
 * ACTLAB_REQUIRE_BROWSER=1: .ci/run installs Chromium and sets it, and there a missing browser fails.
 */
class ReportBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** Set to 1 where a browser is required (CI after installing Chromium): then its absence fails instead of skipping. */
    static final String REQUIRE_ENV = "ACTLAB_REQUIRE_BROWSER";

    @TempDir static Path dir;
    static InspectReport report;
    static Path html;

    @BeforeAll
    static void writeReport() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));
        // plant one massive activation so that the massive-activation table has rows to render
        report = Inspector.inspect(m, tokens, InspectOptions.defaults(), h -> h.add("blocks.2.hook_resid_post", a -> a.set(5000f, 10, 7)), null);
        Report.write(report, dir);
        html = dir.resolve(Report.HTML);
    }

    static String chromium(Path profile, String... extra) throws IOException, InterruptedException {
        // .ci/run sets ACTLAB_REQUIRE_BROWSER=1 once it has installed Chromium: there a missing browser is a failure
        if ("1".equals(System.getenv(REQUIRE_ENV)))
            assertTrue(Files.isExecutable(CHROMIUM), REQUIRE_ENV + "=1 but " + CHROMIUM + " is absent: the report rendering test must run here");
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is absent (install it with: apt-get install -y chromium)");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile));
        cmd.addAll(List.of(extra));
        cmd.add(html.toUri().toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> { try (InputStream in = p.getInputStream()) { in.transferTo(out); } catch (IOException ignored) {} });
        if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); fail("chromium did not finish in 120 s"); }
        reader.join();
        assertEquals(0, p.exitValue(), "chromium exit code");
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void theDomHoldsEveryChartWithContent() throws Exception {
        String dom = chromium(Files.createTempDirectory(dir, "profile"), "--dump-dom");
        assertTrue(dom.contains("<h1>actlab inspect</h1>"), "page parsed");
        List<String> svgs = new ArrayList<>();
        Matcher m = Pattern.compile("<svg\\b.*?</svg>", Pattern.DOTALL).matcher(dom);
        while (m.find()) svgs.add(m.group());
        // max|x| and kurtosis curves, residual heatmap, sparsity bars, attention-sink heatmap
        assertEquals(5, svgs.size(), "charts in the DOM");
        int layers = report.model().layers(), d = report.model().dModel();
        int heads = report.attentionSinks().mass()[0].length;
        for (String svg : svgs.subList(0, 2)) {
            assertEquals(5, count(svg, "<polyline"), "one line per site kind");
            assertEquals(5 * layers, count(svg, "<circle"), "one dot per site and layer");
            assertFalse(svg.contains("points=\"\""), "empty line");
        }
        assertTrue(count(svgs.get(2), "<rect") >= layers * d, "residual heatmap cells: " + count(svgs.get(2), "<rect"));
        assertEquals(layers * 2, count(svgs.get(3), "<rect") - 2 - 0 /* legend swatches */, "sparsity bars");
        assertTrue(count(svgs.get(4), "<rect") >= layers * heads, "attention sink cells");
        for (String svg : svgs) {
            assertFalse(svg.matches("(?s).*=\"[^\"]*(NaN|Infinity)[^\"]*\".*"), "a coordinate is NaN or infinite");
            assertTrue(svg.contains("<text class=\"label\""), "axis labels");
            assertTrue(svg.contains("<title>"), "tooltips");
        }
        // the tables: the planted activation at layers 2..4, the logit lens with one row per layer
        assertEquals(3, count(dom.substring(dom.indexOf("<h2>Massive activations")), "<td>10</td>") - 0, "massive rows at position 10");
        assertEquals(layers * report.logitLens().positions().size(), count(dom, "class=\"lens tok"), "logit-lens cells");
        String text = dom.replaceAll("<[^>]+>", " ");
        for (String bad : List.of("Exception", "Error", "undefined", "NaN"))
            assertFalse(text.contains(bad), "page text contains " + bad);
    }

    @Test
    void theScreenshotIsARenderedPage() throws Exception {
        Path png = dir.resolve("report.png");
        chromium(Files.createTempDirectory(dir, "profile"), "--screenshot=" + png, "--window-size=1400,2000");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "a PNG");
        assertEquals(1400, img.getWidth());
        assertEquals(2000, img.getHeight());
        Set<Integer> colors = new HashSet<>();
        long nonWhite = 0;
        for (int y = 0; y < img.getHeight(); y += 2)
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colors.add(rgb);
                if (rgb != 0xffffff) nonWhite++;
            }
        double ink = nonWhite / (img.getWidth() / 2.0 * img.getHeight() / 2.0);
        // text, lines and the colour ramps of the heatmaps: a blank or error page has a handful of colours
        assertTrue(colors.size() > 200, "distinct colours: " + colors.size());
        assertTrue(ink > 0.05, "non-white fraction " + ink);
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) n++;
        return n;
    }
}
