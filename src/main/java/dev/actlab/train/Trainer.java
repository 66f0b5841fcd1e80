package dev.actlab.train;

import dev.actlab.model.llama.LlamaConfig;

/**
 * The training loop's step: accumulate gradients over micro-batches, clip by global norm,
 * AdamW at the scheduled learning rate. Deterministic: the same settings and data give the
 * same weights bit for bit, resumed or not.
 */
public final class Trainer {
    public record StepResult(long step, float loss, double gradNorm, float lr) {}

    private final TrainModel model;
    private final AdamW optimizer;
    private final TokenStream data;
    private final TrainSettings settings;
    private final LrSchedule schedule;
    private long step;   // optimizer steps done
    private ZeroMask mask;   // null: every weight trains

    Trainer(TrainModel model, AdamW optimizer, TokenStream data, TrainSettings settings, long step) {
        this.model = model; this.optimizer = optimizer; this.data = data; this.settings = settings; this.step = step;
        this.schedule = settings.schedule();
        data.requireWindows(settings.seqLen());
    }

    /** A fresh run: weights initialized from the settings' seed. */
    public static Trainer start(LlamaConfig config, TrainSettings settings, TokenStream data) {
        if (settings.seqLen() > config.contextLength())
            throw new IllegalArgumentException("context " + settings.seqLen() + " exceeds the model's " + config.contextLength());
        TrainModel m = new TrainModel(config);
        m.initialize(settings.seed());
        return new Trainer(m, AdamW.standard(m.params(), settings.weightDecay()), data, settings, 0);
    }

    /** Fine-tuning: training starts from the given model's weights, with a fresh optimizer. */
    public static Trainer fineTune(TrainModel model, TrainSettings settings, TokenStream data) {
        if (settings.seqLen() > model.config().contextLength())
            throw new IllegalArgumentException("context " + settings.seqLen() + " exceeds the model's " + model.config().contextLength());
        return new Trainer(model, AdamW.standard(model.params(), settings.weightDecay()), data, settings, 0);
    }

    /** Continues from a checkpoint with the same data. */
    public static Trainer resume(Checkpoint.Loaded c, TokenStream data) {
        return new Trainer(c.model(), c.optimizer(), data, c.settings(), c.step());
    }

    /** Keeps the weights mask holds at zero there: their gradients are zeroed before clipping and AdamW skips them. */
    public Trainer withMask(ZeroMask mask) { this.mask = mask; return this; }

    public TrainModel model() { return model; }
    public AdamW optimizer() { return optimizer; }
    public TrainSettings settings() { return settings; }
    public long stepsDone() { return step; }
    public boolean done() { return step >= settings.totalSteps(); }

    /** One optimizer step; returns the mean training loss over its micro-batches. */
    public StepResult step() {
        int B = settings.batch(), T = settings.seqLen(), accum = settings.accumulation();
        model.zeroGrad();
        model.withActL1(settings.actL1At(step));
        double loss = 0;
        for (int micro = 0; micro < accum; micro++) {
            TokenStream.Batch b = data.trainBatch(settings.seed(), step, micro, B, T);
            loss += model.forward(b.inputs(), b.targets(), B, T);
            model.backward(1f / accum);
        }
        if (mask != null) mask.maskGradients(model.params());
        double norm = GradientClipping.clipGlobalNorm(model.params(), settings.gradClip());
        float lr = schedule.lr(step);
        optimizer.update(model.params(), lr, mask);
        step++;
        return new StepResult(step, (float) (loss / accum), norm, lr);
    }

    /** Mean loss over `batches` held-out batches (forward only). */
    public float heldOutLoss(int batches) {
        int B = settings.batch(), T = settings.seqLen();
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            TokenStream.Batch b = data.heldOutBatch(i, batches, B, T);
            sum += model.forward(b.inputs(), b.targets(), B, T);
        }
        return (float) (sum / batches);
    }

    /**
     * Mean loss over `batches` held-out batches with the model run under `setting` (null: no
     * quantization) instead of its own QAT setting, which is restored afterwards.
     */
    public float heldOutLoss(int batches, QatSettings setting) {
        QatSettings own = model.qat();
        model.withQat(setting);
        try { return heldOutLoss(batches); }
        finally { model.withQat(own); }
    }
}
