package dev.actlab.model.tokenizer;

import dev.actlab.io.FormatException;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the tokenizer a GGUF file describes in its {@code tokenizer.ggml.*} metadata.
 *
 * <p>Contract with the GGUF reader: {@code metadata} maps each key to its value as
 * String, Number (any integer or float width), Boolean, or an array given as a
 * {@code List<?>} of those or as a Java array (String[], float[], int[], Object[]...).
 * Keys read: {@code tokenizer.ggml.model} ("llama" = SentencePiece BPE, "gpt2" = byte-level BPE),
 * {@code .tokens}, {@code .scores}, {@code .token_type}, {@code .merges}, {@code .bos_token_id},
 * {@code .eos_token_id}, {@code .unknown_token_id}, {@code .pre}, {@code .add_bos_token},
 * {@code .add_space_prefix}. When add_bos_token is false the tokenizer reports no BOS (bosId() = -1),
 * so encode(text, true) adds none, as llama.cpp does.
 */
public final class GgufTokenizers {
    private static final String P = "tokenizer.ggml.";

    private GgufTokenizers() {}

    public static Tokenizer fromMetadata(Map<String, Object> md, Path file) throws FormatException {
        String model = string(md, file, P + "model");
        List<String> tokens = strings(md, file, P + "tokens", true);
        int n = tokens.size();
        int[] types = ints(md, file, P + "token_type", n, SentencePieceBpeTokenizer.NORMAL);
        int bos = id(md, file, P + "bos_token_id", n), eos = id(md, file, P + "eos_token_id", n);
        if (Boolean.FALSE.equals(md.get(P + "add_bos_token"))) bos = -1;
        switch (model) {
            case "llama" -> {
                float[] scores = floats(md, file, P + "scores", n);
                int unk = id(md, file, P + "unknown_token_id", n);
                Object prefix = md.get(P + "add_space_prefix");
                boolean addSpacePrefix = !(prefix instanceof Boolean b) || b;
                return new SentencePieceBpeTokenizer(tokens, scores, types, bos, eos, unk, addSpacePrefix);
            }
            case "gpt2" -> {
                List<String> merges = strings(md, file, P + "merges", true);
                Object preName = md.get(P + "pre");
                PreTokenizer pre = PreTokenizer.forGgufPre(preName == null ? null : preName.toString());
                if (pre == null) throw new FormatException(file, P + "pre", 0, "pre-tokenizer '" + preName + "' is not supported (default, gpt2, llama-bpe, qwen2)");
                Map<String, Integer> special = new HashMap<>();
                Set<Integer> control = new HashSet<>();
                for (int i = 0; i < n; i++) {
                    if (types[i] == SentencePieceBpeTokenizer.CONTROL) { control.add(i); special.put(tokens.get(i), i); }
                    else if (types[i] == SentencePieceBpeTokenizer.USER_DEFINED) special.put(tokens.get(i), i);
                }
                try {
                    return new ByteLevelBpeTokenizer(tokens, merges, pre, special, control, bos, eos);
                } catch (IllegalArgumentException e) {
                    throw new FormatException(file, P + "merges", 0, e.getMessage());
                }
            }
            case "bert" -> {
                return WordPieceTokenizer.fromPhantomSpaceVocabulary(tokens, file);
            }
            default -> throw new FormatException(file, P + "model", 0, "tokenizer model '" + model + "' is not supported (llama, gpt2, bert)");
        }
    }

    private static String string(Map<String, Object> md, Path file, String key) throws FormatException {
        Object v = md.get(key);
        if (!(v instanceof String s)) throw new FormatException(file, key, 0, v == null ? "is missing" : "is not a string");
        return s;
    }

    /** An array value as a list, whether it came as a List or a Java array. */
    private static List<?> list(Map<String, Object> md, Path file, String key) throws FormatException {
        Object v = md.get(key);
        if (v == null) return null;
        if (v instanceof List<?> l) return l;
        if (v.getClass().isArray()) {
            int len = Array.getLength(v);
            List<Object> out = new ArrayList<>(len);
            for (int i = 0; i < len; i++) out.add(Array.get(v, i));
            return out;
        }
        throw new FormatException(file, key, 0, "is a " + v.getClass().getSimpleName() + ", not an array");
    }

    private static List<String> strings(Map<String, Object> md, Path file, String key, boolean required) throws FormatException {
        List<?> l = list(md, file, key);
        if (l == null) { if (required) throw new FormatException(file, key, 0, "is missing"); return List.of(); }
        for (int i = 0; i < l.size(); i++)
            if (!(l.get(i) instanceof String)) throw new FormatException(file, key + "[" + i + "]", 0, "is not a string");
        @SuppressWarnings("unchecked") List<String> strings = (List<String>) l;   // checked above; not copied: a vocabulary
        return strings;                                                           // read from GGUF stays one compact list
    }

    private static float[] floats(Map<String, Object> md, Path file, String key, int n) throws FormatException {
        float[] out;
        if (md.get(key) instanceof float[] a && a.length == n) out = a;   // as GgufFile reads it: no boxing of 128k scores (the tokenizers copy what they keep)
        else {
            List<?> l = list(md, file, key);
            if (l == null) throw new FormatException(file, key, 0, "is missing");
            if (l.size() != n) throw new FormatException(file, key, 0, "has " + l.size() + " entries for " + n + " tokens");
            out = new float[n];
            for (int i = 0; i < n; i++) {
                if (!(l.get(i) instanceof Number x)) throw new FormatException(file, key + "[" + i + "]", 0, "is not a number");
                out[i] = x.floatValue();
            }
        }
        // a NaN score compares false with everything: the merge order, and so every tokenization, would be arbitrary
        for (int i = 0; i < n; i++)
            if (Float.isNaN(out[i])) throw new FormatException(file, key + "[" + i + "]", 0, "is NaN: merge priorities must be numbers");
        return out;
    }

    private static int[] ints(Map<String, Object> md, Path file, String key, int n, int dflt) throws FormatException {
        if (md.get(key) instanceof int[] a && a.length == n) return a;
        List<?> l = list(md, file, key);
        int[] out = new int[n];
        if (l == null) { java.util.Arrays.fill(out, dflt); return out; }
        if (l.size() != n) throw new FormatException(file, key, 0, "has " + l.size() + " entries for " + n + " tokens");
        for (int i = 0; i < n; i++) {
            if (!(l.get(i) instanceof Number x)) throw new FormatException(file, key + "[" + i + "]", 0, "is not a number");
            out[i] = x.intValue();
        }
        return out;
    }

    /** A token id, or -1 when absent; present but outside the vocabulary is an error. */
    private static int id(Map<String, Object> md, Path file, String key, int n) throws FormatException {
        Object v = md.get(key);
        if (v == null) return -1;
        if (!(v instanceof Number x)) throw new FormatException(file, key, 0, "is not a number");
        long id = x.longValue();
        if (id < 0 || id >= n) throw new FormatException(file, key, 0, "token id " + id + " is outside the vocabulary of " + n);
        return (int) id;
    }
}
