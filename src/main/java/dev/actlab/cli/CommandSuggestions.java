package dev.actlab.cli;

import dev.actlab.io.EditDistance;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * A mistyped command ({@code actlab rnu}, {@code actlab steer extrat}) names the nearest commands by edit
 * distance (picocli's own suggestions miss short typos such as a swapped pair of letters), then
 * the usage; other parse errors go to picocli's own handling (its suggestions for options, then the usage).
 */
final class CommandSuggestions implements CommandLine.IParameterExceptionHandler {
    @Override public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(ex.getMessage());
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty() && !cmd.getSubcommands().isEmpty()) {
            String typed = u.getUnmatched().get(0);
            List<String> near = nearest(typed, new ArrayList<>(cmd.getSubcommands().keySet()));
            if (!typed.startsWith("-") && !near.isEmpty()) {
                err.println("Did you mean: " + String.join(" or ", near.stream().map(n -> qualified(cmd, n)).toList()) + "?");
                err.println("(`" + qualified(cmd, "--help") + "` lists the commands)");
                err.flush();
                return 2;
            }
        }
        if (!UnmatchedArgumentException.printSuggestions(ex, err)) cmd.usage(err);
        err.flush();
        return 2;
    }

    private static String qualified(CommandLine cmd, String name) { return cmd.getCommandSpec().qualifiedName() + " " + name; }

    /** Commands within edit distance 2 of the typed word (or 1 for words of up to 3 letters), nearest first. */
    static List<String> nearest(String typed, List<String> commands) {
        String t = typed.toLowerCase(java.util.Locale.ROOT);
        int limit = t.length() <= 3 ? 1 : 2;
        List<String> out = new ArrayList<>();
        for (String c : commands) if (c.startsWith(t) && t.length() >= 2 || EditDistance.of(t, c) <= limit || transposition(t, c)) out.add(c);
        out.sort(Comparator.comparingInt(c -> EditDistance.of(t, c)));
        return out.size() > 3 ? out.subList(0, 3) : out;
    }

    /** Two neighbouring letters swapped ("rnu" for "run"). */
    private static boolean transposition(String a, String b) {
        if (a.length() != b.length()) return false;
        int i = 0;
        while (i < a.length() && a.charAt(i) == b.charAt(i)) i++;
        return i + 1 < a.length() && a.charAt(i) == b.charAt(i + 1) && a.charAt(i + 1) == b.charAt(i)
                && a.substring(i + 2).equals(b.substring(i + 2));
    }
}
