package dev.actlab.train;

/**
 * Linear warm-up from maxLr / warmup to maxLr over the first warmup steps, then cosine decay
 * to minLr at totalSteps (and minLr after).
 */
public record LrSchedule(float maxLr, float minLr, int warmupSteps, int totalSteps) {
    public LrSchedule {
        if (!(maxLr > 0) || minLr < 0 || minLr > maxLr) throw new IllegalArgumentException("learning rates need 0 <= min <= max and max > 0, got max " + maxLr + ", min " + minLr);
        if (warmupSteps < 0 || totalSteps < 1) throw new IllegalArgumentException("warm-up " + warmupSteps + " and total steps " + totalSteps + " must be >= 0 and >= 1");
    }

    /** The learning rate of step (0-based). */
    public float lr(long step) {
        if (step < warmupSteps) return maxLr * (step + 1) / warmupSteps;
        if (step >= totalSteps) return minLr;
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return (float) (minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress)));
    }
}
