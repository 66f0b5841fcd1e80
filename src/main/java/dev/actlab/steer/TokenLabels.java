package dev.actlab.steer;

import dev.actlab.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/** Per-token labels computed from the text itself, for probes on a property nobody has to annotate. */
public final class TokenLabels {
    public static final String INSIDE = "inside", OUTSIDE = "outside", LEFT_OUT = "_";

    private TokenLabels() {}

    /**
     * Whether each token lies inside a quotation: "inside" after an odd number of double quotes,
     * "outside" after an even number; a token holding a quote itself, or no text (BOS), is left out ("_").
     */
    public static List<String> insideQuotation(Tokenizer tokenizer, int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        boolean inside = false;
        for (int id : ids) {
            String piece = tokenizer.decode(new int[]{id});
            int quotes = 0;
            for (int i = 0; i < piece.length(); i++) if (piece.charAt(i) == '"' || piece.charAt(i) == '\u201c' || piece.charAt(i) == '\u201d') quotes++;
            out.add(quotes > 0 || piece.isEmpty() ? LEFT_OUT : inside ? INSIDE : OUTSIDE);
            if (quotes % 2 == 1) inside = !inside;
        }
        return out;
    }
}
