package dev.actlab.capture;

import dev.actlab.io.Progress;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Streams activations of chosen sites to disk as sharded safetensors plus a manifest. The input
 * is cut into windows of ctx tokens, each run from position 0; a shard holds whole windows, so
 * resuming after an interruption restarts at the first window of the first missing shard: no
 * duplicates, no gaps. Memory is bounded by one shard of buffered rows.
 *
 * Each shard-NNNNN.safetensors holds, per site, a tensor named after the site [rows, width]
 * (trailing dimensions flattened), plus {@code token_ids} and {@code positions} [rows] I32 (captures
 * before 0.2.0 stored them as F32; ActivationStore reads both) and, for text input, {@code token_offsets} [rows, 2] I32: each
 * token's [start, end) UTF-8 byte offsets in the text (-1, -1 where a token has no place in it).
 *
 * Attention sites ({@code attn.hook_pattern}, {@code attn.hook_attn_scores}, [heads, q_pos, k_pos]
 * per window) are stored one row per query position too: [rows, heads, ctx], row t holding the
 * model's values for keys 0 .. window length - 1 and padding up to ctx. Keys the query did not
 * attend are 0 in the pattern and -inf in the scores, exactly as the model (and TransformerLens)
 * give them past the causal mask; the padding of a window shorter than ctx follows the same rule.
 */
public final class ActivationCapture {

    private final HookedModel model;
    private final Predicate<String> siteFilter;
    private final int ctx, shardTokens;
    private final DType dtype;
    private Consumer<Hooks> interventions;
    private String steering;

    public ActivationCapture(HookedModel model, Predicate<String> siteFilter, int ctx, int shardTokens, DType dtype) {
        if (ctx < 1) throw new IllegalArgumentException("ctx must be >= 1, got " + ctx);
        if (shardTokens < 1) throw new IllegalArgumentException("shard tokens must be >= 1, got " + shardTokens);
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16)
            throw new IllegalArgumentException("activations are stored as F32, F16 or BF16, not " + dtype);
        this.model = model; this.siteFilter = siteFilter; this.ctx = ctx; this.shardTokens = shardTokens; this.dtype = dtype;
    }

    /**
     * Captures under an intervention (e.g. a control vector): add puts its hooks first, so the
     * captured activations are the changed ones; description is recorded in the manifest, and a
     * resumed capture must have the same.
     */
    public ActivationCapture withInterventions(Consumer<Hooks> add, String description) {
        this.interventions = add;
        this.steering = add == null ? null : description;
        return this;
    }

    /** Captures into dir, resuming if dir holds an incomplete capture of the same model, sites and input. */
    public CaptureManifest run(int[] tokens, Path dir, Progress progress) throws IOException { return run(tokens, null, dir, progress); }

    /**
     * As {@link #run(int[], Path, Progress)}, with each token's [start, end) UTF-8 byte offsets in
     * the input text (offsets [2 * tokens], from TokenOffsets; null for token-id input), stored
     * per shard as {@code token_offsets} [rows, 2] I32.
     */
    public CaptureManifest run(int[] tokens, int[] offsets, Path dir, Progress progress) throws IOException {
        // everything that can be refused is refused before anything is written: a failed run must
        // not leave a manifest behind that blocks the corrected one
        if (offsets != null && offsets.length != 2 * tokens.length)
            throw new IllegalArgumentException(offsets.length + " offsets for " + tokens.length + " tokens (expected two per token)");
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to capture");
        List<String> sites = model.sites().names().stream().filter(siteFilter).toList();
        if (sites.isEmpty()) throw new IllegalArgumentException("no hook site of " + model.source() + " matches the requested sites");
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " exists and is not a directory");
        String sha = sha256(tokens);
        int windows = (tokens.length + ctx - 1) / ctx;
        if (Files.exists(CaptureManifest.path(dir))) {
            CaptureManifest old = CaptureManifest.read(dir);
            if (!old.shards.isEmpty() || old.complete) requireSame(dir, old, sites, sha);
        }
        // the model refuses ids outside its vocabulary and windows beyond its context: ask it now,
        // with the smallest and largest id and one full window, instead of after hours of capture
        int min = Arrays.stream(tokens).min().getAsInt(), max = Arrays.stream(tokens).max().getAsInt();
        model.run(min == max ? new int[]{min} : new int[]{min, max}, Hooks.none());
        model.run(Arrays.copyOf(tokens, Math.min(ctx, tokens.length)), Hooks.none());

        Files.createDirectories(dir);
        try (CaptureLock lock = CaptureLock.acquire(dir)) {
            CaptureManifest m = Files.exists(CaptureManifest.path(dir)) ? CaptureManifest.read(dir) : null;
            if (m != null && m.shards.isEmpty() && !m.complete) m = null;   // nothing captured yet: start afresh
            if (m != null) {
                requireSame(dir, m, sites, sha);
                verifyShards(dir, m);
            } else {
                m = new CaptureManifest();
                m.model = model.source();
                m.architecture = model.architecture();
                m.dtype = dtype.name();
                m.ctx = ctx;
                m.shardTokens = shardTokens;
                m.inputTokens = tokens.length;
                m.inputSha256 = sha;
                m.steering = steering;
                m.windowsTotal = windows;
                m.tokenOffsets = offsets != null;
                for (String s : sites) m.sites.add(new CaptureManifest.Site(s, 0, null));
                m.write(dir);
            }
            deleteOwnTemporaries(dir);
            ShardBuffer buf = new ShardBuffer(sites, ctx);
            int firstWindow = m.windowsDone;
            for (int w = m.windowsDone; w < windows; w++) {
                int from = w * ctx, to = Math.min(tokens.length, from + ctx);
                int[] window = Arrays.copyOfRange(tokens, from, to);
                Map<String, Activation> seen = new LinkedHashMap<>();
                Hooks hooks = new Hooks();
                if (interventions != null) interventions.accept(hooks);
                model.run(window, hooks.add(sites::contains, a -> seen.put(a.name, a.copy())));
                buf.append(m, seen, window);
                boolean last = w == windows - 1;
                if (buf.rows >= shardTokens || last) {
                    commitShard(dir, m, buf, offsets, firstWindow, w + 1 - firstWindow);
                    buf = new ShardBuffer(sites, ctx);
                    firstWindow = w + 1;
                }
                if (progress != null) progress.update(w + 1, windows);
            }
            if (!m.complete) { m.complete = true; m.write(dir); }
            return m;
        }
    }

    /** The temporaries this class writes (".shard-00003.safetensors.PID.N.part", ".manifest.json.PID.N.part"), nothing else. */
    static final java.util.regex.Pattern OWN_TEMPORARY = java.util.regex.Pattern.compile("\\.?(shard-\\d{5}\\.safetensors|manifest\\.json)(\\.\\d+)+\\.part");

    /**
     * Deletes leftovers of an interrupted write: only the temporaries of this store's own files.
     * The lock is held, so no other capture is writing them; a user's file that happens to end in
     * ".part" stays.
     */
    private static void deleteOwnTemporaries(Path dir) throws IOException {
        try (var stale = Files.list(dir)) {
            for (Path p : stale.filter(p -> OWN_TEMPORARY.matcher(p.getFileName().toString()).matches()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * On resume, checks every recorded shard against its size and SHA-256 in the manifest. From the
     * first shard that is missing, truncated or changed on, the shards are dropped (their files
     * deleted) and the manifest rewound, so the capture redoes them: a damaged store is never
     * reported complete.
     */
    private static void verifyShards(Path dir, CaptureManifest m) throws IOException {
        for (int i = 0; i < m.shards.size(); i++) {
            CaptureManifest.Shard s = m.shards.get(i);
            Path f = dir.resolve(s.file());
            String problem = !Files.isRegularFile(f) ? "missing"
                    : s.bytes() > 0 && Files.size(f) != s.bytes() ? Files.size(f) + " bytes, the manifest says " + s.bytes()
                    : s.sha256() != null && !s.sha256().equals(sha256(f)) ? "its SHA-256 differs from the manifest's"
                    : s.sha256() == null ? unreadable(f) : null;
            if (problem == null) continue;
            for (int j = i; j < m.shards.size(); j++) Files.deleteIfExists(dir.resolve(m.shards.get(j).file()));
            m.shards.subList(i, m.shards.size()).clear();
            m.rows = s.firstRow();
            m.windowsDone = s.firstWindow();
            m.complete = false;
            m.write(dir);
            return;
        }
    }

    /** For shards recorded without a checksum: null when the file parses as safetensors, else why not. */
    private static String unreadable(Path f) {
        try {
            dev.actlab.model.safetensors.SafetensorsFile.open(f);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private void commitShard(Path dir, CaptureManifest m, ShardBuffer buf, int[] offsets, int firstWindow, int windowCount) throws IOException {
        String name = String.format("shard-%05d.safetensors", m.shards.size());
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", m.format)
                .metadata("model", m.model)
                .metadata("first_row", Long.toString(m.rows));
        for (int i = 0; i < buf.sites.size(); i++) {
            CaptureManifest.Site s = m.sites.get(i);
            w.add(s.name(), dtype, buf.values.get(i).toArray(), buf.rows, s.width());
        }
        w.addI32("token_ids", Arrays.copyOf(buf.tokenIds, buf.rows), buf.rows);
        w.addI32("positions", Arrays.copyOf(buf.positions, buf.rows), buf.rows);
        // row r is token r of the input: every window's tokens are rows, in order
        if (offsets != null) w.addI32("token_offsets", Arrays.copyOfRange(offsets, (int) (2 * m.rows), (int) (2 * (m.rows + buf.rows))), buf.rows, 2);
        Path file = dir.resolve(name);
        w.write(file);
        m.shards.add(new CaptureManifest.Shard(name, m.rows, buf.rows, firstWindow, windowCount, Files.size(file), sha256(file)));
        m.rows += buf.rows;
        m.windowsDone = firstWindow + windowCount;
        m.write(dir);
    }

    private void requireSame(Path dir, CaptureManifest m, List<String> sites, String sha) throws IOException {
        List<String> had = m.sites.stream().map(CaptureManifest.Site::name).toList();
        String why = !m.model.equals(model.source()) ? "model " + m.model
                : !had.equals(sites) ? "sites " + had
                : m.ctx != ctx ? "ctx " + m.ctx
                : m.shardTokens != shardTokens ? "shard tokens " + m.shardTokens
                : !m.dtype.equals(dtype.name()) ? "dtype " + m.dtype
                : !m.inputSha256.equals(sha) ? "a different input (sha256 " + m.inputSha256 + ")"
                : !java.util.Objects.equals(m.steering, steering) ? "other steering (" + (m.steering == null ? "none" : m.steering) + ")" : null;
        if (why != null)
            throw new IllegalArgumentException(dir + " already holds a capture of " + why + "; choose another --out or delete it");
    }

    /** SHA-256 of a file's bytes, read in 1 MiB blocks. */
    static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(int[] tokens) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(tokens.length * 4);
            for (int t : tokens) b.putInt(t);
            return HexFormat.of().formatHex(md.digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Rows of the current shard, per site, in window order. */
    private static final class ShardBuffer {
        final List<String> sites;
        final int ctx;
        final List<FloatList> values = new ArrayList<>();
        int[] tokenIds = new int[1024], positions = new int[1024];   // [rows]
        int rows;

        ShardBuffer(List<String> sites, int ctx) {
            this.sites = sites;
            this.ctx = ctx;
            for (int i = 0; i < sites.size(); i++) values.add(new FloatList());
        }

        void append(CaptureManifest m, Map<String, Activation> seen, int[] window) {
            for (int i = 0; i < sites.size(); i++) {
                Activation a = seen.get(sites.get(i));
                if (a == null) throw new IllegalStateException("site " + sites.get(i) + " did not fire");
                boolean attention = isAttention(a.name);
                if (attention ? a.shape.length != 3 || a.shape[1] != window.length || a.shape[2] != window.length : a.shape[0] != window.length)
                    throw new IllegalStateException("site " + a.name + " has shape " + Arrays.toString(a.shape) + " for a window of " + window.length + " tokens");
                int[] trailing = attention ? new int[]{a.shape[0], ctx} : Arrays.copyOfRange(a.shape, 1, a.shape.length);
                int width = Arrays.stream(trailing).reduce(1, Math::multiplyExact);
                CaptureManifest.Site s = m.sites.get(i);
                if (s.width() == 0) m.sites.set(i, new CaptureManifest.Site(s.name(), width, trailing));
                else if (s.width() != width) throw new IllegalStateException("site " + a.name + " changed width from " + s.width() + " to " + width);
                if (attention) appendQueryRows(values.get(i), a, a.name.endsWith("hook_attn_scores") ? Float.NEGATIVE_INFINITY : 0f);
                else values.get(i).addAll(a.data, a.offset, a.size());
            }
            if (rows + window.length > tokenIds.length) {
                int n = Math.max(2 * tokenIds.length, rows + window.length);
                tokenIds = Arrays.copyOf(tokenIds, n); positions = Arrays.copyOf(positions, n);
            }
            for (int t = 0; t < window.length; t++) { tokenIds[rows + t] = window[t]; positions[rows + t] = t; }
            rows += window.length;
        }

        /** [heads, n, n] -> n rows of [heads, ctx]: row t, head h = a[h, t, :] then pad up to ctx. */
        private void appendQueryRows(FloatList out, Activation a, float pad) {
            int heads = a.shape[0], n = a.shape[1];
            for (int t = 0; t < n; t++)
                for (int h = 0; h < heads; h++) {
                    out.addAll(a.data, a.offset + (h * n + t) * n, n);
                    for (int j = n; j < ctx; j++) out.add(pad);
                }
        }
    }

    /** Sites shaped [heads, q_pos, k_pos], stored one row per query position. */
    static boolean isAttention(String site) { return site.endsWith("hook_attn_scores") || site.endsWith("hook_pattern"); }

    /** A growable float array. */
    private static final class FloatList {
        float[] data = new float[1024];
        int size;

        void add(float v) { if (size == data.length) data = Arrays.copyOf(data, size * 2); data[size++] = v; }

        void addAll(float[] src, int off, int n) {
            if (size + n > data.length) data = Arrays.copyOf(data, Math.max(size + n, data.length * 2));
            System.arraycopy(src, off, data, size, n);
            size += n;
        }

        float[] toArray() { return Arrays.copyOf(data, size); }
    }
}
