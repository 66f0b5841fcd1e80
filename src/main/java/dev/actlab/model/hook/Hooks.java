package dev.actlab.model.hook;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Hooks a user attaches to sites, by exact name, glob ({@code blocks.*.hook_resid_post}) or
 * predicate. A model binds them to its own site table once per forward call; sites that no hook
 * matches cost one array load and a null check.
 */
public final class Hooks {
    private record Entry(Predicate<String> matcher, Hook hook) {}

    private static final Hooks NONE = new Hooks();
    private final List<Entry> entries = new ArrayList<>();

    public static Hooks none() { return NONE; }

    public static Hooks of(String pattern, Hook hook) { return new Hooks().add(pattern, hook); }

    /** Adds a hook on every site matching the name or glob ({@code *} matches any characters). */
    public Hooks add(String pattern, Hook hook) { return add(glob(pattern), hook); }

    public Hooks add(Predicate<String> matcher, Hook hook) {
        if (this == NONE) throw new UnsupportedOperationException("Hooks.none() is immutable");
        entries.add(new Entry(matcher, hook));
        return this;
    }

    /** Adds every hook of other after this one's own (other is left as it was). */
    public Hooks addAll(Hooks other) {
        for (Entry e : other.entries) add(e.matcher(), e.hook());
        return this;
    }

    public boolean isEmpty() { return entries.isEmpty(); }

    /** Compiles a glob: {@code *} matches any run of characters, everything else literally. */
    public static Predicate<String> glob(String pattern) {
        if (!pattern.contains("*")) return pattern::equals;
        String[] parts = pattern.split("\\*", -1);
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) re.append(".*");
            re.append(Pattern.quote(parts[i]));
        }
        Pattern full = Pattern.compile(re.toString());
        return s -> full.matcher(s).matches();
    }

    /** Binds the hooks to a model's sites: result[i] is the (composed) hook of sites.name(i), or null. */
    public Hook[] bind(SiteTable sites) {
        Hook[] bound = new Hook[sites.size()];
        if (entries.isEmpty()) return bound;
        for (int i = 0; i < bound.length; i++) {
            String name = sites.name(i);
            for (Entry e : entries) {
                if (e.matcher.test(name)) bound[i] = bound[i] == null ? e.hook : bound[i].andThen(e.hook);
            }
        }
        return bound;
    }
}
