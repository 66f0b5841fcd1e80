package dev.actlab.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Texts for tokenizer tests: hand-picked hard cases plus seeded random mixtures of scripts. */
final class TokenizerCorpus {
    private TokenizerCorpus() {}

    static final List<String> HAND_PICKED = List.of(
            "Hello world", "Hello, world!", " leading space", "trailing space ", "  two leading", "a  b   c    d",
            "Once upon a time, there was a little girl named Lily.", "She liked to play outside in the park.",
            "I'm sure they'll say it's fine; we've done what you'd expect.", "DON'T SHOUT, I'M HERE", "O'Neil's cat's toy",
            "line one\nline two\n\nline four", "\n", "\n\n\n", "tabs\there\t\tand\t", "\r\nWindows\r\nnewlines\r\n",
            "   \n   indented\n      more", "trailing newline\n", "x \n y", "1234567890", "3.14159 and 2,718,281", "in 2024-11-27 at 05:20",
            "007 agents, 42nd street, 1st", "café naïve résumé façade", "e\u0301 (combining acute) vs é", "Straße Größe Äpfel Übung",
            "日本語のテキストです。", "中文分词测试：你好，世界！", "한국어 문장입니다", "Привет, как дела?", "Ελληνικά γράμματα",
            "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "ภาษาไทย", "emoji 😀 😃 😄 ok", "family 👨‍👩‍👧‍👦 zwj", "flags 🇩🇪🇫🇷",
            "skin tone 👍🏽", "math ∑ ∫ √ ≠ ≤ ∞", "arrows → ← ↑ ↓", "quotes “smart” ‘single’ «guillemets»", "dash — en – minus −",
            "def f(x):\n    return x ** 2  # square\n", "for (int i = 0; i < n; i++) { sum += a[i]; }", "{\"key\": [1, 2, 3], \"ok\": true}",
            "https://example.com/path?q=1&r=two#frag", "user@example.org", "C:\\Users\\name\\file.txt", "<html><body>hi</body></html>",
            "!!!???...,,,;;;", "$100 €50 £20 ¥1000", "ALLCAPS lowercase MiXeD", "a", " ", "", "\u00a0non-breaking\u00a0space",
            "zero\u200bwidth", "\u3000ideographic space", "soft\u00adhyphen", "control\u0001\u0002chars\u007f", "\uFEFFbom",
            "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!", "supercalifragilisticexpialidocious",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "                                        spaces",
            "Mixed 中文 and English 和 日本語 with 123 numbers");

    /** Seeded random strings drawn from several scripts, digits, punctuation and white space. */
    static List<String> random(int count, long seed) {
        String[] pools = {"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", "  \n\t\r",
                ".,;:!?'\"()[]{}-_+=*/\\|@#$%^&~`<>", "éèêëàâäôöûüçñß", "中文字词语句日本語", "ДЖЗИЙКЛМнопрст", "αβγδεζηθ", "😀😃🎉👍🏽", "ّبتثجحخ"};
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(60);
            while (sb.codePointCount(0, sb.length()) < len) {
                String pool = pools[r.nextInt(pools.length)];
                int run = 1 + r.nextInt(8);
                for (int k = 0; k < run; k++) {
                    int idx = pool.offsetByCodePoints(0, r.nextInt(pool.codePointCount(0, pool.length())));
                    sb.appendCodePoint(pool.codePointAt(idx));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    static List<String> all() {
        List<String> out = new ArrayList<>(HAND_PICKED);
        out.addAll(random(200, 7));
        return out;
    }
}
