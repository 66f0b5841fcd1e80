package dev.actlab.train;

/**
 * Hyper-parameters of a run. One optimizer step sees batch * accumulation sequences of seqLen tokens.
 *
 * @param gradClip    maximum global gradient norm (0: no clipping)
 * @param seed        initializes the weights and chooses every batch
 * @param actL1       weight of the L1 penalty on the MLP activations (TrainModel.withActL1), 0: none
 * @param actL1Schedule "constant", or "sine": ProSparse's progressive regularization, the weight rising
 *                    as actL1 * sin(pi/2 * step / (totalSteps / 2)) over the first half of the run, then held
 */
public record TrainSettings(int batch, int seqLen, int accumulation, float maxLr, float minLr, int warmupSteps,
                            int totalSteps, float weightDecay, float gradClip, long seed, float actL1, String actL1Schedule) {
    /** Settings without an activation penalty. */
    public TrainSettings(int batch, int seqLen, int accumulation, float maxLr, float minLr, int warmupSteps,
                         int totalSteps, float weightDecay, float gradClip, long seed) {
        this(batch, seqLen, accumulation, maxLr, minLr, warmupSteps, totalSteps, weightDecay, gradClip, seed, 0f, "constant");
    }

    public TrainSettings {
        if (actL1Schedule == null) actL1Schedule = "constant";   // checkpoints written before the penalty existed
        if (!(actL1 >= 0 && Float.isFinite(actL1))) throw new IllegalArgumentException("--act-l1 " + actL1 + " is not a finite number >= 0");
        if (!actL1Schedule.equals("constant") && !actL1Schedule.equals("sine"))
            throw new IllegalArgumentException("--act-l1-schedule " + actL1Schedule + " is not constant or sine");
        if (batch < 1 || seqLen < 2 || accumulation < 1)
            throw new IllegalArgumentException("batch " + batch + ", context " + seqLen + " and accumulation " + accumulation + " must be >= 1, >= 2, >= 1");
        if (weightDecay < 0 || gradClip < 0) throw new IllegalArgumentException("weight decay and clip must be >= 0");
        new LrSchedule(maxLr, minLr, warmupSteps, totalSteps);   // validates the schedule
    }

    public LrSchedule schedule() { return new LrSchedule(maxLr, minLr, warmupSteps, totalSteps); }
    /** The activation L1 weight at optimizer step (0-based). */
    public float actL1At(long step) {
        if (actL1 == 0 || actL1Schedule.equals("constant")) return actL1;
        double rise = Math.max(1, totalSteps / 2.0);
        return (float) (actL1 * Math.sin(Math.PI / 2 * Math.min(1, step / rise)));
    }

    public long tokensPerStep() { return (long) batch * seqLen * accumulation; }
}
