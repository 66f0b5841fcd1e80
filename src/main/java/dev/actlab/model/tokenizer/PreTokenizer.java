package dev.actlab.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces byte-level BPE merges within (merges never cross a piece
 * boundary). Matches become pieces and so do any gaps between matches. Patterns are compiled
 * with UNICODE_CHARACTER_CLASS so that \s means Unicode white space as in the Python and Rust
 * originals (Java's default \s is ASCII only); \p{L} and \p{N} are Unicode in any case.
 */
public record PreTokenizer(String name, Pattern pattern) {

    /** GPT-2 (also GGUF pre "default"/"gpt2", tiktoken r50k_base). */
    public static final PreTokenizer GPT2 = of("gpt2",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** Llama 3 (GGUF pre "llama-bpe"; same splitting as tiktoken cl100k_base): numbers in groups of up to 3 digits. */
    public static final PreTokenizer LLAMA3 = of("llama-bpe",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    /** Qwen2 (GGUF pre "qwen2"): as Llama 3 but every digit is its own piece. */
    public static final PreTokenizer QWEN2 = of("qwen2",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    public static PreTokenizer of(String name, String regex) {
        return new PreTokenizer(name, Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS));
    }

    /** The pre-tokenizer GGUF names in tokenizer.ggml.pre, or null when unknown. */
    public static PreTokenizer forGgufPre(String pre) {
        if (pre == null) return GPT2;
        return switch (pre) {
            case "default", "gpt2", "gpt-2" -> GPT2;
            case "llama-bpe", "llama3", "llama-v3", "smaug-bpe" -> LLAMA3;
            case "qwen2" -> QWEN2;
            default -> null;
        };
    }

    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(text.substring(last, m.start()));
            if (m.end() > m.start()) out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
        return out;
    }
}
