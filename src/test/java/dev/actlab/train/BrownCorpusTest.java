package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BrownCorpusTest {
    @Test
    void stripsTagsAndAttachesPunctuationAndQuotes() {
        String tagged = "\n\n\tThe/at jury/nn said/vbd ,/, ``/`` no/at evidence/nn ''/'' (/( Atlanta's/np$ )/) ./.\n\n\n\tIt/pps ended/vbd ./.\n";
        assertEquals("The jury said, \"no evidence\" (Atlanta's).\nIt ended.\n", BrownCorpus.detag(tagged));
    }
}
