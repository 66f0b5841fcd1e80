package dev.actlab.train;

/**
 * Hyper-parameters of a run. One optimizer step sees batch * accumulation sequences of seqLen tokens.
 *
 * @param gradClip    maximum global gradient norm (0: no clipping)
 * @param seed        initializes the weights and chooses every batch
 */
public record TrainSettings(int batch, int seqLen, int accumulation, float maxLr, float minLr, int warmupSteps,
                            int totalSteps, float weightDecay, float gradClip, long seed) {
    public TrainSettings {
        if (batch < 1 || seqLen < 2 || accumulation < 1)
            throw new IllegalArgumentException("batch " + batch + ", context " + seqLen + " and accumulation " + accumulation + " must be >= 1, >= 2, >= 1");
        if (weightDecay < 0 || gradClip < 0) throw new IllegalArgumentException("weight decay and clip must be >= 0");
        new LrSchedule(maxLr, minLr, warmupSteps, totalSteps);   // validates the schedule
    }

    public LrSchedule schedule() { return new LrSchedule(maxLr, minLr, warmupSteps, totalSteps); }
    public long tokensPerStep() { return (long) batch * seqLen * accumulation; }
}
