package dev.actlab.cli;

import dev.actlab.io.FormatException;
import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code actlab <command>}: the command-line front end. */
@Command(name = "actlab", mixinStandardHelpOptions = true, version = "actlab 0.2.0",
        description = "An activation laboratory for transformer models on the JVM.",
        subcommands = {
                RunCommand.class,
                LogitsCommand.class,
                PplCommand.class,
                BpbCommand.class,
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
                QuantizeCommand.class,
                QuantizeSweepCommand.class,
                PruneCommand.class, PruneSweepCommand.class,
                SitesCommand.class, TokenizeCommand.class, DetokenizeCommand.class,
                SparsifyCommand.class,
                MlpSparsityCommand.class,
                SparsitySweepCommand.class,
                SaeCommand.class,
                LowRankCommand.class, LowRankSweepCommand.class,
                ImatrixCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (CommandLine sub : cl.getSubcommands().values()) sub.getCommandSpec().mixinStandardHelpOptions(true);   // `actlab run --help`
        cl.setParameterExceptionHandler(new CommandSuggestions());   // `actlab rnu`: did you mean run?
        cl.setCaseInsensitiveEnumValuesAllowed(true);   // --dtype bf16 as BF16
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

    static String describe(Exception ex) {
        if (ex instanceof java.nio.file.NoSuchFileException nf) return nf.getFile() + ": no such file" + (nf.getReason() != null ? " (" + nf.getReason() + ")" : "");
        // the JDK's messages for these are only the path: say what went wrong with it
        if (ex instanceof java.nio.file.AccessDeniedException a) return a.getFile() + ": permission denied";
        if (ex instanceof java.nio.file.NotDirectoryException n) return n.getFile() + ": is not a directory";
        if (ex instanceof java.nio.file.DirectoryNotEmptyException d) return d.getFile() + ": directory is not empty";
        if (ex instanceof java.nio.file.FileAlreadyExistsException f) return f.getFile() + ": already exists";
        if (ex instanceof java.nio.file.FileSystemException fs && fs.getReason() != null)
            return (fs.getFile() != null ? fs.getFile() + ": " : "") + fs.getReason() + (fs.getOtherFile() != null ? " (" + fs.getOtherFile() + ")" : "");
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }
}
