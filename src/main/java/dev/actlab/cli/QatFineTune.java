package dev.actlab.cli;

import dev.actlab.model.ModelLoader;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.DType;
import dev.actlab.train.QatSettings;
import dev.actlab.train.TokenStream;
import dev.actlab.train.TrainModel;
import dev.actlab.train.TrainSettings;
import dev.actlab.train.Trainer;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * `actlab train --from MODEL --qat w4a8 ...`: quantization-aware fine-tuning of an existing decoder
 * on the corpus, split into training and held-out text as `train` splits it, tokenized with the
 * model's own tokenizer. Measures on the whole held-out split: the model as loaded (FP32), the
 * same model with the QAT fake quantization applied at evaluation (post-training quantization,
 * PTQ), and after fine-tuning with it (QAT); writes DIR/qat.json and DIR/model.gguf (the
 * full-precision master weights; the quantization is a property of how they are run).
 */
final class QatFineTune {
    private QatFineTune() {}

    static Map<String, Object> run(Path from, QatSettings qat, byte[] text, Path out, TrainSettings proto, long tokens,
                                   int logEvery, String name, PrintStream err) throws Exception {
        GgufFile src = GgufFile.open(from);   // a GGUF: its tokenizer is exported with the fine-tuned weights
        LlamaModel base = ModelLoader.loadDecoder(from);
        Tokenizer tok = base.tokenizer();
        if (tok == null) throw new IllegalArgumentException(from + " has no tokenizer: --from needs a model with its tokenizer (GGUF)");
        String all = new String(text, StandardCharsets.UTF_8);
        int cut = TokenStream.heldOutStart(all);
        TokenStream data = TokenStream.ofText(tok, all.substring(0, cut), all.substring(cut));
        TrainModel model = TrainModel.from(base);
        long perStep = proto.tokensPerStep();
        int steps = (int) Math.min(Integer.MAX_VALUE, (tokens + perStep - 1) / perStep);
        TrainSettings s = new TrainSettings(proto.batch(), proto.seqLen(), proto.accumulation(), proto.maxLr(), proto.minLr(),
                Math.min(proto.warmupSteps(), steps / 2), steps, proto.weightDecay(), proto.gradClip(), proto.seed());
        Trainer t = Trainer.fineTune(model, s, data);
        int windows = Math.max(1, data.heldOutTokens() / (s.batch() * s.seqLen()));   // the whole held-out split
        err.printf("QAT fine-tuning %s (%,d parameters): %s; %d steps of %d x %d x %d tokens, lr %.2g -> %.2g; held-out %d batches%n",
                from, model.parameterCount(), qat, steps, s.batch(), s.seqLen(), s.accumulation(), s.maxLr(), s.minLr(), windows);

        float fp32 = t.heldOutLoss(windows);
        err.printf("FP32 base: held-out loss %.4f, perplexity %.2f%n", fp32, Math.exp(fp32));
        model.withQat(qat);
        float ptq = t.heldOutLoss(windows);
        err.printf("PTQ (%s): held-out loss %.4f, perplexity %.2f%n", qat, ptq, Math.exp(ptq));

        long t0 = System.nanoTime();
        float lastLoss = Float.NaN;
        while (!t.done()) {
            Trainer.StepResult r = t.step();
            lastLoss = r.loss();
            if (r.step() % logEvery == 0 || t.done()) {
                double secs = (System.nanoTime() - t0) / 1e9;
                err.printf("step %d/%d  loss %.4f  lr %.3g  |grad| %.3f  %,.0f tok/s%n", r.step(), steps, r.loss(), r.lr(), r.gradNorm(),
                        r.step() * s.tokensPerStep() / secs);
            }
        }
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        float qatLoss = t.heldOutLoss(windows);
        err.printf("QAT (%s) after %d steps: held-out loss %.4f, perplexity %.2f%n", qat, steps, qatLoss, Math.exp(qatLoss));
        model.withQat(null);
        float qatFp = t.heldOutLoss(windows);
        err.printf("QAT weights run in FP32: held-out loss %.4f, perplexity %.2f%n", qatFp, Math.exp(qatFp));

        Files.createDirectories(out);
        Path gguf = out.resolve("model.gguf");
        GgufWriter w = GgufLlamaWriter.export(model.toLlamaModel(gguf.toString()), DType.F32, name);
        src.entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(gguf);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("from", from.toString());
        r.put("weights", qat.weightFormat() == null ? "f32" : qat.weightFormat().name());
        r.put("activations", qat.activationFormat() == null ? "f32" : qat.activationFormat().name());
        r.put("group", qat.group());
        r.put("steps", steps);
        r.put("tokens", steps * s.tokensPerStep());
        r.put("lr", s.maxLr());
        r.put("train_seconds", trainSecs);
        r.put("final_train_loss", lastLoss);
        r.put("heldout_windows", windows * s.batch());
        r.put("heldout_tokens_per_window", s.seqLen());
        r.put("fp32_loss", fp32);
        r.put("fp32_perplexity", Math.exp(fp32));
        r.put("ptq_loss", ptq);
        r.put("ptq_perplexity", Math.exp(ptq));
        r.put("qat_loss", qatLoss);
        r.put("qat_perplexity", Math.exp(qatLoss));
        r.put("qat_weights_fp32_loss", qatFp);
        r.put("qat_weights_fp32_perplexity", Math.exp(qatFp));
        r.put("gguf", gguf.toString());
        Path tmp = out.resolve("qat.json.tmp");
        try (PrintWriter pw = new PrintWriter(Files.newBufferedWriter(tmp))) { pw.println(Json.write(r)); }
        Files.move(tmp, out.resolve("qat.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return r;
    }
}
