// Decode speed of llama3.java (github:mukel/llama3.java) on any Llama GGUF, whatever tokenizer it holds:
// compiled beside its Llama3.java in the same (unnamed) package, it uses llama3.java's own GGUF reader,
// weight loading, State and forward(); only the tokenizer is skipped (llama3.java builds a Llama 3 BPE
// tokenizer at load and refuses other vocabularies, and speed does not depend on it). The prompt is fed in
// batches of llama.BatchSize tokens (16, llama3.java's default) as llama3.java ingests prompts, then greedy
// decoding. Prints one JSON object.
// Build: javac --add-modules jdk.incubator.vector -d OUT Llama3.java Llama3JavaDecode.java
// Run:   java --add-modules jdk.incubator.vector -cp OUT com.llama4j.Llama3JavaDecode model.gguf PROMPT_TOKENS GEN_TOKENS
package com.llama4j;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;

public class Llama3JavaDecode {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) { System.err.println("usage: Llama3JavaDecode model.gguf PROMPT_TOKENS GEN_TOKENS"); System.exit(2); }
        Path path = Path.of(args[0]);
        int prompt = Integer.parseInt(args[1]), gen = Integer.parseInt(args[2]);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            GGUF gguf = GGUF.loadModel(ch, path.toString());
            Map<String, Object> md = gguf.getMetadata();
            Map<String, GGMLTensorEntry> tensors = GGUF.loadTensors(ch, gguf.getTensorDataOffset(), gguf.getTensorInfos());
            int vocab = tensors.get("token_embd.weight").shape()[1];
            int heads = (int) md.get("llama.attention.head_count");
            Llama.Configuration c = new Llama.Configuration((int) md.get("llama.embedding_length"), (int) md.get("llama.feed_forward_length"),
                    (int) md.get("llama.block_count"), heads, (int) md.getOrDefault("llama.attention.head_count_kv", heads), vocab,
                    (int) md.get("llama.context_length"), (float) md.getOrDefault("llama.attention.layer_norm_rms_epsilon", 1e-5f),
                    (float) md.getOrDefault("llama.rope.freq_base", 10000f)).withContextLength(prompt + gen);
            Llama model = new Llama(c, null, ModelLoader.loadWeights(tensors, c));
            runOnce(model, Math.min(prompt, 16), Math.min(gen, 8));   // warm-up: JIT and first touch of the weights
            double[] r = runOnce(model, prompt, gen);
            System.out.printf(java.util.Locale.ROOT, "{\"peer\": \"llama3.java\", \"prefill_tokens_per_second\": %.4f, \"decode_tokens_per_second\": %.4f}%n", r[0], r[1]);
        }
    }

    /** Prefill `prompt` random ids in batches, then `gen` greedy tokens; {prefill tok/s, decode tok/s}. */
    static double[] runOnce(Llama model, int prompt, int gen) {
        int vocab = model.configuration().vocabularySize, batch = Integer.getInteger("llama.BatchSize", 16);
        int[] ids = new SplittableRandom(1).ints(prompt, 0, vocab).toArray();
        Llama.State state = new Llama.State(model.configuration(), batch);
        long t0 = System.nanoTime();
        FloatTensor logits = null;
        for (int from = 0; from < prompt; from += batch) {
            int[] chunk = java.util.Arrays.copyOfRange(ids, from, Math.min(prompt, from + batch));
            logits = Llama.forward(model, state, chunk, from, from + chunk.length == prompt);
        }
        long t1 = System.nanoTime();
        for (int g = 0; g < gen; g++) logits = Llama.forward(model, state, new int[]{logits.argmax()}, prompt + g, true);
        long t2 = System.nanoTime();
        return new double[]{prompt / ((t1 - t0) / 1e9), gen / ((t2 - t1) / 1e9)};
    }
}
