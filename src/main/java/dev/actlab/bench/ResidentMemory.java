package dev.actlab.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The process's memory as the kernel counts it (Linux /proc/self/status), with the Java heap beside it:
 * resident set now (VmRSS) and at its peak (VmHWM), split into anonymous pages (RssAnon: the heap, the
 * JIT's code, thread stacks, off-heap buffers) and file pages (RssFile: the memory-mapped model file's
 * pages that have been read, and the JDK's own files). Weights that are mapped rather than copied show
 * up in RssFile and can be dropped by the kernel under pressure; weights copied to the heap show up in
 * RssAnon. Fields the kernel does not report (not Linux) are -1.
 */
public record ResidentMemory(long rssBytes, long peakRssBytes, long anonBytes, long fileBytes, long heapUsedBytes, long heapCommittedBytes) {

    /** Now. */
    public static ResidentMemory now() {
        Map<String, Long> kb = status(Path.of("/proc/self/status"));
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new ResidentMemory(bytes(kb, "VmRSS"), bytes(kb, "VmHWM"), bytes(kb, "RssAnon"), bytes(kb, "RssFile"), heap.getUsed(), heap.getCommitted());
    }

    /** The "Name:   123 kB" lines of a status file, in kB; empty when it cannot be read. */
    static Map<String, Long> status(Path file) {
        Map<String, Long> out = new LinkedHashMap<>();
        List<String> lines;
        try { lines = Files.readAllLines(file); } catch (IOException | SecurityException e) { return out; }
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.endsWith(" kB")) continue;
            try { out.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 1, line.length() - 3).trim())); }
            catch (NumberFormatException ignored) { /* not a size line */ }
        }
        return out;
    }

    private static long bytes(Map<String, Long> kb, String key) { Long v = kb.get(key); return v == null ? -1 : v * 1024; }

    /**
     * The JSON fields, with the model's own size beside them: modelFileBytes (the file, -1 for random
     * weights) and weightBytes (every weight matrix as executed).
     */
    public Map<String, Object> toJson(long modelFileBytes, long weightBytes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_file_bytes", modelFileBytes);
        m.put("weight_bytes", weightBytes);
        m.put("rss_bytes", rssBytes);
        m.put("peak_rss_bytes", peakRssBytes);
        m.put("rss_anon_bytes", anonBytes);
        m.put("rss_file_bytes", fileBytes);
        m.put("heap_used_bytes", heapUsedBytes);
        m.put("heap_committed_bytes", heapCommittedBytes);
        long anchor = modelFileBytes > 0 ? modelFileBytes : weightBytes;
        m.put("peak_rss_over_model", peakRssBytes > 0 && anchor > 0 ? (double) peakRssBytes / anchor : null);
        return m;
    }

    /** "peak RSS 812.3 MB (1.16x the 700.1 MB model file): 95.0 MB anonymous, 690.2 MB file pages; heap 20.1 of 64.0 MB". */
    public String line(long modelFileBytes, long weightBytes) {
        long anchor = modelFileBytes > 0 ? modelFileBytes : weightBytes;
        String what = modelFileBytes > 0 ? "model file" : "weights";
        if (peakRssBytes < 0) return String.format("resident memory: not reported by this OS; heap %.1f of %.1f MB", heapUsedBytes / 1e6, heapCommittedBytes / 1e6);
        return String.format("peak RSS %.1f MB (%.2fx the %.1f MB %s), now %.1f MB: %.1f MB anonymous, %.1f MB file pages; heap %.1f of %.1f MB committed",
                peakRssBytes / 1e6, (double) peakRssBytes / anchor, anchor / 1e6, what, rssBytes / 1e6, anonBytes / 1e6, fileBytes / 1e6,
                heapUsedBytes / 1e6, heapCommittedBytes / 1e6);
    }
}
