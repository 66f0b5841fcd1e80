package dev.actlab.model.eval;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;

/**
 * Bits per UTF-8 byte of a text: the measure that compares models whatever their tokenizers.
 * The text is tokenized without BOS and cut into consecutive windows of ctx tokens; each window
 * reads [BOS, t_s, ..., t_{s+ctx-2}] and is scored on t_s ... t_{s+ctx-1}, so every token of the
 * text is predicted exactly once, and each window starts as generation does (as `actlab train`
 * scores its held-out split). bits/byte = (sum of -ln p) / ln 2 / bytes.
 *
 * @param tokens the text's tokens (all scored)
 * @param bytes  its UTF-8 bytes
 * @param nll    the summed negative log-likelihood, nats
 */
public record BitsPerByte(int windows, int ctx, int tokens, long bytes, double nll) {

    public double bitsPerByte() { return nll / Math.log(2) / bytes; }
    public double meanNll() { return nll / tokens; }
    public double perplexity() { return Math.exp(meanNll()); }
    public double bytesPerToken() { return (double) bytes / tokens; }

    public static BitsPerByte of(LlamaModel model, String text, int ctx, Progress progress) {
        Tokenizer tok = model.tokenizer();
        if (tok == null) throw new IllegalArgumentException(model.source() + " has no tokenizer: bits per byte needs one to read text");
        if (ctx < 1 || ctx > model.config().contextLength())
            throw new IllegalArgumentException("--ctx " + ctx + " must be in [1, " + model.config().contextLength() + "] (the model's context)");
        int[] t = tok.encode(text, false);
        if (t.length == 0) throw new IllegalArgumentException("the text is empty");
        int vocab = model.config().vocabSize(), windows = 0;
        double nll = 0;
        for (int s = 0; s < t.length; s += ctx) {
            int len = Math.min(ctx, t.length - s);
            int[] in = new int[len];
            in[0] = tok.bosId();
            System.arraycopy(t, s, in, 1, len - 1);
            float[] logits = model.forward(model.newCache(), in, Hooks.none(), true);   // [len, vocab]
            for (int i = 0; i < len; i++) nll -= TokenStats.logProb(logits, i * vocab, vocab, t[s + i]);
            windows++;
            if (progress != null) progress.update(s + len, t.length);
        }
        return new BitsPerByte(windows, ctx, t.length, text.getBytes(StandardCharsets.UTF_8).length, nll);
    }
}
