package dev.actlab.model.generate;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Issue 23: "--max-tokens 0 reports a negative tokens/s"; rates are 0 when nothing ran, never negative. */
class GeneratorTest {
    @Test
    void ratesAreNeverNegativeAndGreedyFollowsTheCOriginal() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] greedy = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));   // BOS + 64
        Generation none = Generator.generate(m, new int[]{1}, 0, Sampler.greedy(), Hooks.none(), t -> {});
        assertEquals(0, none.generatedTokens().length);
        assertEquals(0, none.prefillTokensPerSecond());
        assertEquals(0, none.decodeTokensPerSecond());
        Generation one = Generator.generate(m, new int[]{1}, 1, Sampler.greedy(), Hooks.none(), t -> {});
        assertEquals(0, one.decodeTokensPerSecond(), "one token comes from the prefill: no decode step ran");
        assertTrue(one.prefillTokensPerSecond() > 0);
        Generation five = Generator.generate(m, new int[]{1}, 5, Sampler.greedy(), Hooks.none(), t -> {});
        assertTrue(five.decodeTokensPerSecond() > 0);
        assertArrayEquals(Arrays.copyOfRange(greedy, 1, 6), five.generatedTokens());
    }
}
