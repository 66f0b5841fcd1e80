package dev.actlab.io.chart;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;

import java.util.List;

/**
 * The input text as people read it, each token's background coloured by one quantity per token
 * (a channel's activation, a feature's activation, a per-token loss, a patching effect), as
 * CircuitsVis' coloured tokens and Neuronpedia's feature contexts show them. Signed quantities take
 * a diverging scale centred on zero, non-negative ones a sequential scale; a token without a value
 * (NaN) is grey. Each token's tooltip gives its position, text and value; a legend gives the scale.
 * Inline HTML and CSS only (no script). Tokens arrive as display text: whitespace kept, byte tokens
 * already spelled as &lt;0xE2&gt;.
 */
public final class TokenHeat {
    /** The CSS the spans need, for a page's style block. */
    public static final String CSS = """
            .tokens{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;line-height:1.9;white-space:pre-wrap;word-break:break-word;border:1px solid #e5e5e5;border-radius:4px;padding:6px 8px;margin:4px 0;background:#fff}
            .tokens span.t{border-radius:2px;padding:1px 0;box-shadow:inset 0 0 0 0.5px #ccc}
            .tokens span.t.at{outline:2px solid #111;outline-offset:0}
            .theat-legend{display:flex;align-items:center;gap:6px;font-size:12px;color:#444;margin:2px 0 10px}
            .theat-legend .bar{display:inline-block;width:160px;height:10px;border:1px solid #ccc}
            """;

    private final String quantity, unit;
    private final ColorScale scale;

    /**
     * @param quantity what the colour shows, e.g. "blocks.3.hook_resid_post channel 41"
     * @param unit     the value's unit or kind for the legend, e.g. "activation", "nats", "restored fraction"
     */
    public TokenHeat(String quantity, String unit, ColorScale scale) {
        this.quantity = quantity; this.unit = unit; this.scale = scale;
    }

    /** A scale chosen from the values: diverging when signed, else sequential. */
    public static TokenHeat of(String quantity, String unit, double[] values, boolean signed) {
        return new TokenHeat(quantity, unit, ColorScale.forValues(values, signed));
    }

    public ColorScale scale() { return scale; }

    /** The tokens coloured by values, then the legend. */
    public String html(List<String> tokens, double[] values, int firstPosition, int mark) { return tokens(tokens, values, firstPosition, mark) + legend(); }

    /** The tokens (display text) coloured by values[i], without legend; positions number from firstPosition; mark (or -1) is outlined. */
    public String tokens(List<String> tokens, double[] values, int firstPosition, int mark) {
        if (tokens.size() != values.length) throw new IllegalArgumentException(tokens.size() + " tokens but " + values.length + " values");
        StringBuilder b = new StringBuilder(64 * tokens.size() + 512);
        b.append("<div class=\"tokens\" aria-label=\"").append(esc("tokens coloured by " + quantity)).append("\">");
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            b.append("<span class=\"t").append(i == mark ? " at" : "").append("\" style=\"background:").append(scale.color(v)).append(";color:")
                    .append(scale.textColor(v)).append("\" title=\"").append(esc("position " + (firstPosition + i) + ": " + visibleWhitespace(tokens.get(i))
                            + "\n" + unit + " " + num(v))).append("\">").append(esc(tokens.get(i))).append("</span>");
        }
        return b.append("</div>\n").toString();
    }

    /** The colour bar with its end values and the quantity it shows. */
    public String legend() {
        StringBuilder g = new StringBuilder("linear-gradient(to right");
        for (int i = 0; i <= 10; i++) g.append(',').append(scale.color(scale.valueAt(i / 10.0)));
        g.append(')');
        return "<div class=\"theat-legend\"><span>" + esc(num(scale.lo())) + "</span><span class=\"bar\" style=\"background:" + g
                + "\"></span><span>" + esc(num(scale.hi())) + "</span><span>" + esc(unit + ": " + quantity
                + (scale.isDiverging() ? " (red negative, white 0, blue positive)" : "")) + "</span></div>\n";
    }

    private static String visibleWhitespace(String token) { return token.replace("\n", "\\n").replace("\t", "\\t").replace(' ', '\u2423'); }
}
