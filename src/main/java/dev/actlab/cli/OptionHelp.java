package dev.actlab.cli;

import java.util.ListResourceBundle;

/**
 * What the shared options (ModelOption, JsonOption) say in one command's --help where that
 * command means more than the mixin's own words. picocli reads a mixin option's description
 * from the command's resource bundle first: a command names its subclass there, e.g.
 * {@code @Command(resourceBundle = "dev.actlab.cli.EmbedCommand$Help")}, keyed by option name
 * without dashes.
 */
abstract class OptionHelp extends ListResourceBundle {
    private final Object[][] contents;

    /** Pairs of option name and description: "json", "Full vectors as JSON.", ... */
    OptionHelp(String... optionThenDescription) {
        contents = new Object[optionThenDescription.length / 2][];
        for (int i = 0; i < contents.length; i++) contents[i] = new Object[]{optionThenDescription[2 * i], optionThenDescription[2 * i + 1]};
    }

    @Override protected Object[][] getContents() { return contents; }
}
