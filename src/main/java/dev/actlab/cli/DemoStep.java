package dev.actlab.cli;

import java.util.Map;

/**
 * One step of {@code actlab demo}: it prints its part to the terminal, may write files into the
 * report folder, and returns its section of demo.json. Features join the demo by adding a step
 * to {@link DemoCommand#steps()}.
 */
interface DemoStep {
    /** Key of this step's section in demo.json, e.g. "similarity". */
    String name();

    /** One line for the terminal's step header. */
    String title();

    Map<String, Object> run(DemoContext ctx) throws Exception;

    /** Three decimals: what demo.json keeps of a measured figure. */
    static double round(double v) { return Math.round(v * 1000) / 1000.0; }
}
