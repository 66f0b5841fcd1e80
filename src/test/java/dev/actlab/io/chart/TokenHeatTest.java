package dev.actlab.io.chart;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Coloured tokens: the scales' colours computed by hand from their anchor colours, and the markup. */
class TokenHeatTest {
    @Test void divergingIsRedWhiteBlueCentredOnZero() {
        ColorScale s = ColorScale.diverging(4);
        assertTrue(s.isDiverging());
        assertEquals("#b2182b", s.color(-4));    // RdBu red
        assertEquals("#f7f7f7", s.color(0));     // white
        assertEquals("#2166ac", s.color(4));     // RdBu blue
        assertEquals("#b2182b", s.color(-100), "clipped");
        // half way from white to blue: (247+33)/2, (247+102)/2, (247+172)/2, rounded half up
        assertEquals(String.format("#%02x%02x%02x", 140, 175, 210), s.color(2));
        assertEquals("#e5e5e5", s.color(Double.NaN));
        assertEquals("#111", s.textColor(0));
        assertEquals("#fff", s.textColor(-4));
    }

    @Test void theScaleFollowsTheSignOfTheQuantity() {
        double[] signed = {-0.5, 2, 1}, positive = {0.5, 2, Double.NaN};
        ColorScale d = ColorScale.forValues(signed, true);
        assertTrue(d.isDiverging());
        assertEquals(-2, d.lo()); assertEquals(2, d.hi());
        ColorScale q = ColorScale.forValues(positive, false);
        assertFalse(q.isDiverging());
        assertEquals(0, q.lo()); assertEquals(2, q.hi());
        assertEquals("#f7f7f7", q.color(0), "a sequential text scale is white at 0");
        assertEquals("#053061", q.color(2));
    }

    @Test void everyTokenIsASpanWithItsColourAndTooltip() {
        List<String> tokens = List.of("<s>", " The", " <0xE2>", "\n", " end");
        double[] v = {0, 1.5, -3, Double.NaN, 3};
        TokenHeat h = TokenHeat.of("channel 7", "activation", v, true);
        String html = h.html(tokens, v, 10, 1);
        Matcher m = Pattern.compile("<span class=\"t( at)?\" style=\"background:(#[0-9a-f]{6});color:#[0-9a-f]{3}\" title=\"([^\"]*)\">([^<]*)</span>").matcher(html);
        int i = 0;
        while (m.find()) {
            assertEquals(h.scale().color(v[i]), m.group(2), "token " + i);
            assertEquals(i == 1, m.group(1) != null, "only the marked token is outlined");
            assertTrue(m.group(3).startsWith("position " + (10 + i) + ": "), m.group(3));
            assertEquals(Svg.esc(tokens.get(i)), m.group(4));
            i++;
        }
        assertEquals(tokens.size(), i);
        assertTrue(html.contains("activation: channel 7 (red negative, white 0, blue positive)"), html);
        assertTrue(html.contains("&lt;0xE2&gt;"), "byte tokens are spelled, escaped");
        assertThrows(IllegalArgumentException.class, () -> h.html(tokens, new double[2], 0, -1));
    }
}
