package dev.actlab.house;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rules of README.md's "Layout", read off the sources: which room may use which, no
 * package cycles, and the Vector API only in the kernel room.
 */
class PackageRulesTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("^package (dev\\.actlab[\\w.]*);", Pattern.MULTILINE);
    /** Imports and fully qualified uses alike: dev.actlab.pkg.Type. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.actlab((?:\\.[a-z][a-z0-9]*)+)\\.[A-Z]");

    /** Rank of each room: a room may use rooms of lower rank only (and its own sub-packages). */
    private static final Map<String, Integer> RANK = Map.ofEntries(
            Map.entry("tensor", 0), Map.entry("io", 0),
            Map.entry("model", 1),
            Map.entry("inspect", 2), Map.entry("capture", 2),
            Map.entry("train", 3), Map.entry("quant", 3), Map.entry("sparsity", 3), Map.entry("sae", 3),
            Map.entry("steer", 4), Map.entry("prune", 4),
            Map.entry("bench", 5),
            Map.entry("cli", 6));

    record Source(Path file, String pkg, String text) {}

    static List<Source> sources() throws IOException {
        List<Source> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(MAIN)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String text = Files.readString(f);
                Matcher m = PACKAGE.matcher(text);
                assertTrue(m.find(), f + " has no package line");
                out.add(new Source(f, m.group(1), text));
            }
        }
        return out;
    }

    static String room(String pkg) {
        String rest = pkg.substring("dev.actlab.".length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    static Map<String, Set<String>> packageGraph() throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        for (Source s : sources()) {
            Set<String> deps = g.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
            Matcher m = REFERENCE.matcher(s.text());
            while (m.find()) {
                String target = "dev.actlab" + m.group(1);
                if (!target.equals(s.pkg())) deps.add(target);
            }
        }
        return g;
    }

    @Test
    void everyRoomUsesOnlyTheRoomsBelowIt() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (var e : packageGraph().entrySet()) {
            String from = room(e.getKey());
            Integer rank = RANK.get(from);
            if (rank == null) { wrong.add(e.getKey() + " is in no room of the Layout"); continue; }
            for (String to : e.getValue()) {
                String target = room(to);
                if (target.equals(from)) continue;
                Integer tr = RANK.get(target);
                if (tr == null || tr >= rank) wrong.add(e.getKey() + " -> " + to);
            }
        }
        assertEquals(List.of(), wrong, "uses that the Layout does not allow");
    }

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> g = packageGraph();
        List<List<String>> cycles = new ArrayList<>();
        for (List<String> scc : stronglyConnected(g)) if (scc.size() > 1) cycles.add(scc);
        assertEquals(List.of(), cycles, "packages that depend on each other");
    }

    @Test
    void vectorApiOnlyInTheKernelRoom() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Source s : sources())
            if (s.text().contains("jdk.incubator.vector") && !room(s.pkg()).equals("tensor")) wrong.add(s.file().toString());
        assertEquals(List.of(), wrong, "Vector API used outside dev.actlab.tensor");
    }

    /** Tarjan's algorithm; each component sorted. */
    static List<List<String>> stronglyConnected(Map<String, Set<String>> g) {
        Map<String, Integer> index = new TreeMap<>(), low = new TreeMap<>();
        List<String> stack = new ArrayList<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : g.keySet()) if (!index.containsKey(v)) strong(v, g, index, low, stack, onStack, out, counter);
        return out;
    }

    private static void strong(String v, Map<String, Set<String>> g, Map<String, Integer> index, Map<String, Integer> low,
                               List<String> stack, Set<String> onStack, List<List<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.add(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                strong(w, g, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> scc = new ArrayList<>();
            String w;
            do { w = stack.remove(stack.size() - 1); onStack.remove(w); scc.add(w); } while (!w.equals(v));
            scc.sort(null);
            out.add(scc);
        }
    }
}
