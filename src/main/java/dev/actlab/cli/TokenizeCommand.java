package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.tokenizer.TokenOffsets;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "tokenize", description = "Token ids of a text with the model's tokenizer: each token's id, vocabulary piece and [start, end) UTF-8 byte offsets in the text.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--text", required = true, description = "The text to tokenize.") String text;
    @Option(names = "--no-bos", description = "Leave out the beginning-of-sequence token the other commands put first.") boolean noBos;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        HookedModel m = model.load();
        Tokenizer t = TokenizerOf.model(m);
        int[] ids = t.encode(text, !noBos);
        long[] offsets = TokenOffsets.of(t, text, ids);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        PrintWriter out = spec.commandLine().getOut();
        if (json.enabled) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", ids[i]);
                r.put("piece", t.piece(ids[i]));
                r.put("start", offsets[2 * i]);
                r.put("end", offsets[2 * i + 1]);
                r.put("text", span(bytes, offsets[2 * i], offsets[2 * i + 1]));
                rows.add(r);
            }
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source());
            j.put("text", text);
            j.put("ids", ids);
            j.put("tokens", rows);
            out.println(Json.write(j));
            return 0;
        }
        out.printf("%d tokens%n", ids.length);
        out.println(String.join(" ", java.util.Arrays.stream(ids).mapToObj(String::valueOf).toList()));
        out.printf("%-4s %-7s %-20s %-11s %s%n", "#", "id", "piece", "bytes", "text");
        for (int i = 0; i < ids.length; i++) {
            long s = offsets[2 * i], e = offsets[2 * i + 1];
            out.printf("%-4d %-7d %-20s %-11s %s%n", i, ids[i], quote(t.piece(ids[i])), s < 0 ? "?" : s + ".." + e, s < 0 ? "" : quote(span(bytes, s, e)));
        }
        out.flush();
        return 0;
    }

    /** The text a token covers; a part of a UTF-8 character (a byte token) as {@code <0xE2>} instead of "\uFFFD". */
    static String span(byte[] bytes, long start, long end) {
        if (start < 0 || end < start) return null;
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes, (int) start, (int) (end - start))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            StringBuilder b = new StringBuilder();
            for (long i = start; i < end; i++) b.append(String.format("<0x%02X>", bytes[(int) i] & 0xFF));
            return b.toString();
        }
    }

    /** A piece as a Java string literal would show it: spaces and control characters visible. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c == '\t') b.append("\\t");
            else if (c == '\r') b.append("\\r");
            else if (c == '"') b.append("\\\"");
            else if (c < 0x20) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
