package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.TwoFourF32Matrix;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * `actlab train --from PRUNED.gguf --keep-zeros ...`: recovery fine-tuning of a pruned decoder (the
 * CAST/ProSparse way: train the survivors, keep the mask). The mask is the exact zeros of the block
 * linears of --from ({@link ZeroMask}); their gradients and AdamW updates, weight decay included,
 * are masked, so no pruned weight revives and the exported model has the same zeros (a 2:4 model
 * stays 2:4 and loads compressed). The corpus is split into training and held-out text as `train`
 * splits it and tokenized with the model's tokenizer; the whole held-out split is scored before and
 * after. Writes DIR/keep-zeros.json and DIR/model.gguf (F32, with the tokenizer of --from).
 */
public final class KeepZerosFineTune {
    private KeepZerosFineTune() {}

    public record Result(Map<String, Object> json) {
        public String text(Path out) {
            return String.format("held-out perplexity (%s windows of %s tokens): before %.2f, after %.2f; %,d pruned weights (%.1f%% of the block linears) "
                            + "kept at zero, %s revived; 2:4 before %s, after %s; %s%n",
                    json.get("heldout_windows"), json.get("heldout_tokens_per_window"), json.get("before_perplexity"), json.get("after_perplexity"),
                    json.get("pruned_weights"), 100 * (double) json.get("block_linear_sparsity"), json.get("revived"), json.get("two_four_before"),
                    json.get("two_four_after"), out.resolve("keep-zeros.json") + ", " + json.get("gguf"));
        }
    }

    public static Result run(Path from, byte[] text, Path out, TrainSettings proto, long tokens, int logEvery, String name, PrintStream err) throws Exception {
        GgufFile src = GgufFile.open(from);   // a GGUF: its tokenizer is exported with the fine-tuned weights
        LlamaModel base = ModelLoader.loadDecoder(from, false);
        Tokenizer tok = base.tokenizer();
        if (tok == null) throw new IllegalArgumentException(from + " has no tokenizer: --from needs a model with its tokenizer (GGUF)");
        String all = new String(text, StandardCharsets.UTF_8);
        int cut = TokenStream.heldOutStart(all);
        TokenStream data = TokenStream.ofText(tok, all.substring(0, cut), all.substring(cut));
        TrainModel model = TrainModel.from(base);
        ZeroMask mask = ZeroMask.ofBlockLinears(model.params());
        if (mask.prunedCount() == 0)
            throw new IllegalArgumentException(from + " has no exact zeros in its block linears: --keep-zeros fine-tunes a pruned model (e.g. from `actlab prune`)");
        long perStep = proto.tokensPerStep();
        int steps = (int) Math.min(Integer.MAX_VALUE, (tokens + perStep - 1) / perStep);
        TrainSettings s = new TrainSettings(proto.batch(), proto.seqLen(), proto.accumulation(), proto.maxLr(), proto.minLr(),
                Math.min(proto.warmupSteps(), steps / 2), steps, proto.weightDecay(), proto.gradClip(), proto.seed());
        Trainer t = Trainer.fineTune(model, s, data).withMask(mask);
        int windows = Math.max(1, data.heldOutTokens() / (s.batch() * s.seqLen()));   // the whole held-out split
        boolean twoFourBefore = twoFour(model.params());
        err.printf("recovery fine-tuning %s: %,d of %,d block-linear weights are zero and stay zero (%s); %d steps of %d x %d x %d tokens, lr %.2g -> %.2g%n",
                from, mask.prunedCount(), mask.maskedTotal(), twoFourBefore ? "2:4" : "not 2:4", steps, s.batch(), s.seqLen(), s.accumulation(), s.maxLr(), s.minLr());
        float before = t.heldOutLoss(windows);
        err.printf("before: held-out loss %.4f, perplexity %.2f (%d windows)%n", before, Math.exp(before), windows * s.batch());
        long t0 = System.nanoTime();
        float lastLoss = Float.NaN;
        while (!t.done()) {
            Trainer.StepResult r = t.step();
            lastLoss = r.loss();
            if (r.step() % logEvery == 0 || t.done())
                err.printf("step %d/%d  loss %.4f  lr %.3g  |grad| %.3f  %,.0f tok/s%n", r.step(), steps, r.loss(), r.lr(), r.gradNorm(),
                        r.step() * s.tokensPerStep() / ((System.nanoTime() - t0) / 1e9));
        }
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        float after = t.heldOutLoss(windows);
        long revived = mask.revived(model.params());
        boolean twoFourAfter = twoFour(model.params());
        err.printf("after: held-out loss %.4f, perplexity %.2f; pruned weights revived: %d%n", after, Math.exp(after), revived);
        if (revived != 0) throw new IllegalStateException(revived + " pruned weights are not zero after fine-tuning: the mask was bypassed");

        Files.createDirectories(out);
        Path gguf = out.resolve("model.gguf");
        GgufWriter w = GgufLlamaWriter.export(model.toLlamaModel(gguf.toString()), DType.F32, name);
        src.entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(gguf);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("from", from.toString());
        r.put("steps", steps);
        r.put("tokens", steps * s.tokensPerStep());
        r.put("lr", s.maxLr());
        r.put("weight_decay", s.weightDecay());
        r.put("train_seconds", trainSecs);
        r.put("final_train_loss", lastLoss);
        r.put("pruned_weights", mask.prunedCount());
        r.put("block_linear_weights", mask.maskedTotal());
        r.put("block_linear_sparsity", (double) mask.prunedCount() / mask.maskedTotal());
        r.put("revived", revived);
        r.put("two_four_before", twoFourBefore);
        r.put("two_four_after", twoFourAfter);
        r.put("heldout_windows", windows * s.batch());
        r.put("heldout_tokens_per_window", s.seqLen());
        r.put("before_loss", before);
        r.put("before_perplexity", Math.exp(before));
        r.put("after_loss", after);
        r.put("after_perplexity", Math.exp(after));
        r.put("gguf", gguf.toString());
        AtomicFile.writeString(out.resolve("keep-zeros.json"), Json.write(r) + "\n");
        return new Result(r);
    }

    /** True when every block linear is 2:4 along its input dimension (rows of shape[1] inputs). */
    static boolean twoFour(List<Param> params) {
        for (Param p : params) {
            if (!p.name().startsWith("blk.") || p.shape().length != 2 || !p.decay()) continue;
            int cols = p.shape()[1];
            if (cols % 4 != 0) return false;
            for (int r = 0; r < p.shape()[0]; r++) if (!TwoFourF32Matrix.isTwoFourRow(p.value(), r * cols, cols)) return false;
        }
        return true;
    }
}
