package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RecipeTest {

    @Test
    void parsesTheIssuesExample() {
        Recipe r = Recipe.parse("hadamard+gptq(w4,g128)+rtn(a4)");
        assertEquals(3, r.steps().size());
        assertInstanceOf(HadamardRotation.class, r.steps().get(0));
        Gptq g = assertInstanceOf(Gptq.class, r.steps().get(1));
        assertEquals(NumberFormat.INT4, g.quantizer().format());
        assertEquals(Granularity.group(128), g.quantizer().granularity());
        assertTrue(g.actOrder());
        assertEquals(0.01f, g.damp());
        ActivationQuant a = assertInstanceOf(ActivationQuant.class, r.steps().get(2));
        assertEquals(NumberFormat.INT4, a.format());
        assertEquals(Granularity.ROW, a.granularity());
        assertEquals("W4A4", r.bitsLabel());
        assertTrue(r.calibrates());
    }

    @Test
    void keysFormatsAndFlags() {
        Recipe r = Recipe.parse(" smoothquant( alpha = 0.8 , down ) + rtn(w=nf4, g=64, a=fp8, ag=tensor, aclip=0.9) + gptq(w=mxfp4, actorder=false, damp=0.1, block=32)");
        SmoothQuant sq = assertInstanceOf(SmoothQuant.class, r.steps().get(0));
        assertEquals(0.8f, sq.alpha());
        assertTrue(sq.down() && !sq.o());
        Rtn rtn = assertInstanceOf(Rtn.class, r.steps().get(1));
        assertEquals(new Quantizer(NumberFormat.NF4, Granularity.group(64)), rtn.quantizer());
        ActivationQuant a = assertInstanceOf(ActivationQuant.class, r.steps().get(2));
        assertTrue(a.isStatic());
        assertEquals(0.9f, a.clip());
        Gptq g = assertInstanceOf(Gptq.class, r.steps().get(3));
        assertEquals(Granularity.group(32), g.quantizer().granularity(), "MX blocks");
        assertEquals(false, g.actOrder());
        assertEquals(32, g.block());
        assertEquals("W4A8", r.bitsLabel());
        assertEquals("W16A4", Recipe.parse("rtn(a4)").bitsLabel());
        assertEquals("W4A16", Recipe.parse("rtn(w4,a16)").bitsLabel());
        assertNull(Recipe.parse("rtn(w4,a16)").activationFormat());
        assertInstanceOf(ClipSearch.class, Recipe.parse("clip(w4,g32,grid=10,min=0.6)").steps().get(0));
        assertInstanceOf(Awq.class, Recipe.parse("awq(w4,g128)").steps().get(0));
        assertInstanceOf(NoisyQuant.class, Recipe.parse("noisyquant(a8)").steps().get(0));
        assertEquals(1, Recipe.parse("quarot").steps().size());
    }

    /** The position the error names, for a recipe that does not parse. */
    static int errorAt(String recipe) {
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.parse(recipe), recipe);
        assertTrue(e.getMessage().contains("position " + e.position) && e.getMessage().contains("^"), e.getMessage());
        return e.position;
    }

    @Test
    void errorsNameThePosition() {
        assertEquals(9, errorAt("hadamard+gtpq(w4)"), "unknown method");
        assertEquals(0, errorAt("gptq(g128)"), "no weight format: the method");
        assertEquals(8, errorAt("rtn(w4, x=3)"), "unknown key");
        assertEquals(4, errorAt("rtn(w=int99)"), "bad format");
        assertEquals(9, errorAt("gptq(w4, damp=2)"), "out of range");
        assertEquals(10, errorAt("rtn(w4, a4"), "unclosed");
        assertEquals(9, errorAt("hadamard gptq(w4)"), "missing +: at the next step");
        assertEquals(9, errorAt("hadamard+"), "dangling +");
        assertEquals(8, errorAt("rtn(w4, w8)"), "twice");
        assertEquals(0, errorAt("rtn"), "quantizes nothing");
        assertEquals(13, errorAt("rtn(w=mxfp4, g128)"), "mx blocks are fixed");
        assertEquals(0, errorAt("  "), "empty");
        assertEquals(11, errorAt("noisyquant(a=fp8)"), "noisyquant needs integers");
        for (String bad : List.of("rtn(w4,,a4)", "rtn(w4)+", "rtn(w4)x", "gptq(w4, actorder=maybe)", "clip(w4, g=tensor)", "rtn(ag=token)"))
            errorAt(bad);
    }
}
