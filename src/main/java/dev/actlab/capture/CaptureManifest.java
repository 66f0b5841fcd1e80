package dev.actlab.capture;

import dev.actlab.io.AtomicFile;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code manifest.json} of an activation store: what was captured from which model and input,
 * and the shards committed so far. Rewritten atomically after every shard, so after an
 * interruption it describes exactly the shards that are complete.
 */
public final class CaptureManifest {
    public static final String FILE = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One site: its per-token width (trailing dims of the hook tensor flattened) and original trailing shape. */
    public record Site(String name, int width, int[] trailingShape) {}

    /**
     * One shard: shard-NNNNN.safetensors holding rows [firstRow, firstRow + rows) of every site,
     * with the file's size and SHA-256 as written, so that a resumed capture can tell a shard that
     * was truncated, replaced or deleted since (0 and null in stores written before they were kept).
     */
    public record Shard(String file, long firstRow, int rows, int firstWindow, int windows, long bytes, String sha256) {}

    public String format = "actlab activation store v1";
    public String model;
    public String architecture;
    public String dtype = "F32";
    public List<Site> sites = new ArrayList<>();
    public int ctx;
    public int shardTokens;
    public long inputTokens;
    @JsonProperty("input_sha256") public String inputSha256;
    /** The steering the activations were captured under (control vectors, ablation), or null for none. */
    public String steering;
    /** Shards hold token_offsets [rows, 2]: UTF-8 byte offsets [start, end) of each token in the input text. */
    public boolean tokenOffsets;
    public int windowsTotal;
    public int windowsDone;
    public long rows;
    public boolean complete;
    public List<Shard> shards = new ArrayList<>();

    public static Path path(Path dir) { return dir.resolve(FILE); }

    public static CaptureManifest read(Path dir) throws IOException {
        Path p = path(dir);
        CaptureManifest m;
        try {
            m = JSON.readValue(p.toFile(), CaptureManifest.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            long off = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getCharOffset());
            throw new FormatException(p, "manifest", off, e.getOriginalMessage());
        }
        if (m == null) throw new FormatException(p, "manifest", 0, "is empty (null)");
        if (m.sites == null || m.shards == null) throw new FormatException(p, m.sites == null ? "sites" : "shards", 0, "is missing");
        for (int i = 0; i < m.shards.size(); i++) {   // a shard is a plain file name beside the manifest, never a path elsewhere
            Shard s = m.shards.get(i);
            if (s == null || s.file() == null || !s.file().matches("shard-\\d{5}\\.safetensors"))
                throw new FormatException(p, "shards[" + i + "].file", 0, "'" + (s == null ? null : s.file()) + "' is not a shard file name (shard-NNNNN.safetensors)");
        }
        return m;
    }

    /** Writes to a temporary sibling, then moves it over the old manifest. */
    public void write(Path dir) throws IOException {
        AtomicFile.write(path(dir), tmp -> JSON.writeValue(tmp.toFile(), this));
    }

    public Site site(String name) {
        for (Site s : sites) if (s.name.equals(name)) return s;
        throw new IllegalArgumentException("no site '" + name + "' in this store (sites: " + sites.stream().map(Site::name).toList() + ")");
    }
}
