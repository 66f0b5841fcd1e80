package dev.actlab.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void noEstimateInTheFirstSecondOrBeforeTwoPercent() {
        assertEquals("estimating time left", ProgressBar.timeLeft(1, 1000, 0.01, 10));        // first windows: a wild guess
        assertEquals("estimating time left", ProgressBar.timeLeft(10, 1000, 5, 495));          // 1% after 5 s
        assertEquals("estimating time left", ProgressBar.timeLeft(0, 1000, 30, 0));            // nothing done yet
        assertEquals("0:20 left", ProgressBar.timeLeft(500, 1000, 20, 20));
        assertEquals("8:15 left", ProgressBar.timeLeft(10, 1000, 10, 495));                     // 10 s: an estimate even below 2%
        assertEquals("0:00 left", ProgressBar.timeLeft(1000, 1000, 0.001, 0));
    }

    @Test
    void theFirstDrawSaysEstimating() {
        StringWriter w = new StringWriter();
        ProgressBar bar = new ProgressBar("ppl", "windows", new PrintWriter(w));
        bar.update(1, 100);
        assertTrue(w.toString().contains("1/100 windows"), w.toString());
        assertTrue(w.toString().contains("estimating time left"), w.toString());
    }
}
