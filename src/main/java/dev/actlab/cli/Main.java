package dev.actlab.cli;

import dev.actlab.io.FormatException;
import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code actlab <command>}: the command-line front end. */
@Command(name = "actlab", mixinStandardHelpOptions = true, version = "actlab 0.1.0",
        description = "An activation laboratory for transformer models on the JVM.",
        subcommands = {
                RunCommand.class,
                LogitsCommand.class,
                PplCommand.class,
                InspectCommand.class,
                CaptureCommand.class,
                TrainCommand.class,
                SynthCommand.class,
                ConvertCommand.class,
                EmbedCommand.class,
                DemoCommand.class,
                BenchCommand.class,
                SteerCommand.class,
                ProbeCommand.class,
                PatchCommand.class,
                SaeCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (CommandLine sub : cl.getSubcommands().values()) sub.getCommandSpec().mixinStandardHelpOptions(true);   // `actlab run --help`
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // bad input is the user's to fix: say what and where, without a stack trace
            if (ex instanceof FormatException || ex instanceof IOException || ex instanceof IllegalArgumentException) {
                cmd.getErr().println("actlab " + cmd.getCommandName() + ": " + describe(ex));
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    private static String describe(Exception ex) {
        if (ex instanceof java.nio.file.NoSuchFileException nf) return nf.getFile() + ": no such file";
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }
}
