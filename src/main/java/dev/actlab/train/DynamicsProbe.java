package dev.actlab.train;

import dev.actlab.model.hook.HookSite;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.actlab.inspect.ChannelStats;
import dev.actlab.inspect.MassiveActivations;
import dev.actlab.inspect.TokenText;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Massive-activation dynamics: the residual stream after every block (blocks.L.hook_resid_post)
 * of the current weights on a fixed probe of held-out windows, summarized per layer. Runs an
 * exported copy of the weights, so measuring never touches the training state.
 */
public final class DynamicsProbe {
    /** Sun et al. 2024 thresholds, as in `actlab inspect`. */
    public static final float MASSIVE_ABS = 100, MASSIVE_RATIO = 1000;

    /** One layer's residual stream over the whole probe (sequences x positions x d_model values). */
    public record Layer(int layer,
                        @JsonProperty("max_abs") float maxAbs,
                        @JsonProperty("max_value") float maxValue,
                        @JsonProperty("max_sequence") int maxSequence,
                        @JsonProperty("max_position") int maxPosition,
                        @JsonProperty("max_channel") int maxChannel,
                        @JsonProperty("max_token_id") int maxTokenId,
                        @JsonProperty("max_token") String maxToken,
                        @JsonProperty("top_channel") int topChannel,
                        @JsonProperty("top_channel_share") double topChannelShare,
                        @JsonProperty("top_mean_abs_channel") int topMeanAbsChannel,
                        double kurtosis,
                        @JsonProperty("median_abs") float medianAbs,
                        @JsonProperty("massive_count") long massiveCount) {}

    /** One line of dynamics.jsonl. */
    public record Point(long step, long tokens, @JsonProperty("probe_sequences") int probeSequences,
                        @JsonProperty("probe_seq_len") int probeSeqLen, @JsonProperty("massive_abs") float massiveAbs,
                        @JsonProperty("massive_ratio") float massiveRatio, List<Layer> layers) {}

    private final int[][] sequences;   // [sequences][T] token ids
    private final TokenText text;

    public DynamicsProbe(int[][] sequences, Tokenizer tokenizer) {
        this.sequences = sequences;
        this.text = new TokenText(tokenizer);
    }

    /** The probe: `count` held-out windows of T tokens, evenly spaced (the same at every step). */
    public static DynamicsProbe heldOut(TokenStream data, int count, int T, Tokenizer tokenizer) {
        TokenStream.Batch b = data.heldOutBatch(0, 1, count, T);
        int[][] seqs = new int[count][];
        for (int i = 0; i < count; i++) seqs[i] = java.util.Arrays.copyOfRange(b.inputs(), i * T, (i + 1) * T);
        return new DynamicsProbe(seqs, tokenizer);
    }

    public int[][] sequences() { return sequences; }

    /** Runs the model on the probe and summarizes every layer's resid_post. */
    public Point measure(LlamaModel model, long step, long tokensSeen) {
        int L = model.config().layers(), d = model.config().dim(), T = sequences[0].length;
        float[][] abs = new float[L][sequences.length * T * d];   // every |x|, for the exact median
        float[][] channelMax = new float[L][d], channelSum = new float[L][d];
        ChannelStats[] all = new ChannelStats[L];
        for (int l = 0; l < L; l++) all[l] = new ChannelStats(0, 0);
        int[][] argmax = new int[L][];   // {sequence, position, channel}
        float[] maxAbs = new float[L], maxValue = new float[L];
        MassiveActivations massive = new MassiveActivations(MASSIVE_ABS, MASSIVE_RATIO, 0, text);
        for (int s = 0; s < sequences.length; s++) {
            final int seq = s;
            massive.beginChunk(sequences[s], s * T);
            model.run(sequences[s], Hooks.of("blocks.*." + MassiveActivations.SITE_SUFFIX, (Activation a) -> {
                massive.apply(a);
                int l = HookSite.layerOf(a.name), n = a.size() / d;
                for (int r = 0; r < n; r++) {
                    int base = a.offset + r * d, at = ((seq * T) + a.startPos + r) * d;
                    for (int c = 0; c < d; c++) {
                        float x = a.data[base + c], ax = Math.abs(x);
                        all[l].add(x);
                        abs[l][at + c] = ax;
                        channelSum[l][c] += ax;
                        if (ax > channelMax[l][c]) channelMax[l][c] = ax;
                        if (argmax[l] == null || ax > maxAbs[l]) { maxAbs[l] = ax; maxValue[l] = x; argmax[l] = new int[]{seq, a.startPos + r, c}; }
                    }
                }
            }));
        }
        Map<Integer, Long> massiveByLayer = massive.result().summary().byLayer();
        List<Layer> layers = new ArrayList<>(L);
        for (int l = 0; l < L; l++) {
            int top = 0, topMean = 0;
            for (int c = 1; c < d; c++) {
                if (channelMax[l][c] > channelMax[l][top]) top = c;
                if (channelSum[l][c] > channelSum[l][topMean]) topMean = c;
            }
            // how far the top channel stands out: its max |x| over the next channel's
            float second = 0;
            for (int c = 0; c < d; c++) if (c != top) second = Math.max(second, channelMax[l][c]);
            int[] am = argmax[l];
            int tokenId = sequences[am[0]][am[1]];
            layers.add(new Layer(l, maxAbs[l], maxValue[l], am[0], am[1], am[2], tokenId, tokenLabel(tokenId), top,
                    second > 0 ? channelMax[l][top] / (double) second : Double.NaN, topMean, all[l].kurtosis(),
                    MassiveActivations.median(abs[l]), massiveByLayer.getOrDefault(l, 0L)));
        }
        return new Point(step, tokensSeen, sequences.length, T, MASSIVE_ABS, MASSIVE_RATIO, layers);
    }

    private String tokenLabel(int id) {
        String piece = text.piece(id);
        if (piece == null && id >= 0 && id < 256) piece = new String(new byte[]{(byte) id}, java.nio.charset.StandardCharsets.ISO_8859_1);  // byte-level model
        return TokenText.display(id, piece);
    }
}
