package dev.actlab.model.eval;

import dev.actlab.io.AtomicFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Logits of the scored positions of a perplexity run, for a later KL comparison: FILE holds
 * float32 little-endian [positions x vocab]; FILE.json holds the vocabulary size and the token ids
 * that were scored, so a comparison can check it is looking at the same text.
 */
public final class SavedLogits {
    private static final ObjectMapper JSON = new ObjectMapper();

    public final int vocab;
    public final int[] targets;      // the scored next tokens, one per row
    private final MappedFile data;

    private SavedLogits(int vocab, int[] targets, MappedFile data) { this.vocab = vocab; this.targets = targets; this.data = data; }

    public int rows() { return targets.length; }

    /**
     * Copies row r into dst[off : off + vocab]. A NaN or infinite logit (a damaged file, or one
     * saved from a broken model) is a FormatException naming the row and byte offset: a KL
     * divergence against it would be NaN.
     */
    public void row(int r, float[] dst, int off) throws FormatException {
        long at = (long) r * vocab * 4;
        java.lang.foreign.MemorySegment.copy(data.segment(),
                java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at, dst, off, vocab);
        for (int i = 0; i < vocab; i++)
            if (!Float.isFinite(dst[off + i]))
                throw new FormatException(data.path(), "logits[" + r + "][" + i + "]", at + 4L * i, "is " + dst[off + i] + ", not a finite number");
    }

    public static SavedLogits open(Path file) throws IOException {
        Path meta = sidecar(file);
        if (!Files.exists(meta)) throw new FormatException(meta, "file", 0, "missing: base logits need their .json sidecar written by --save-logits");
        Map<?, ?> m;
        try {
            m = JSON.readValue(meta.toFile(), Map.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            long at = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getCharOffset());
            throw new FormatException(meta, "(json)", at, "not the sidecar --save-logits writes: " + e.getOriginalMessage());
        }
        if (m == null) throw new FormatException(meta, "(json)", 0, "is empty (null)");
        Object v = m.get("vocab"), t = m.get("targets");
        if (!(v instanceof Integer) || !(t instanceof java.util.List<?> list))
            throw new FormatException(meta, "vocab/targets", 0, "missing or of the wrong type");
        int vocab = (Integer) v;
        int[] targets = new int[list.size()];
        for (int i = 0; i < targets.length; i++) {
            if (!(list.get(i) instanceof Integer id) || id < 0 || id >= vocab)
                throw new FormatException(meta, "targets[" + i + "]", 0, "'" + list.get(i) + "' is not a token id in [0, " + vocab + ")");
            targets[i] = id;
        }
        MappedFile f = MappedFile.open(file);
        if (vocab <= 0 || f.size() != (long) vocab * targets.length * 4)
            throw new FormatException(file, "logits", 0, "expected " + targets.length + " x " + vocab + " float32 values ("
                    + (long) vocab * targets.length * 4 + " bytes), file has " + f.size());
        return new SavedLogits(vocab, targets, f);
    }

    static Path sidecar(Path file) { return file.resolveSibling(file.getFileName() + ".json"); }

    /** Streams rows to a temp file; {@link #commit} moves it and its sidecar into place. */
    public static final class Writer implements AutoCloseable {
        private final Path target, tmp;
        private final OutputStream out;
        private final int vocab;
        private final ByteBuffer buf;
        private int[] targets = new int[1024];
        private int rows;
        private boolean committed;

        public Writer(Path target, int vocab) throws IOException {
            this.target = target; this.vocab = vocab;
            this.tmp = AtomicFile.temporarySibling(target);
            this.out = Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
            this.buf = ByteBuffer.allocate(vocab * 4).order(ByteOrder.LITTLE_ENDIAN);
        }

        public void add(float[] logits, int off, int target) throws IOException {
            buf.clear();
            for (int i = 0; i < vocab; i++) buf.putFloat(logits[off + i]);
            out.write(buf.array(), 0, buf.position());
            if (rows == targets.length) targets = Arrays.copyOf(targets, rows * 2);
            targets[rows++] = target;
        }

        public void commit() throws IOException {
            out.close();
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("format", "actlab saved logits: float32 little-endian [rows x vocab]");
            meta.put("vocab", vocab);
            meta.put("rows", rows);
            meta.put("targets", Arrays.copyOf(targets, rows));
            AtomicFile.write(sidecar(target), metaTmp -> JSON.writeValue(metaTmp.toFile(), meta));
            AtomicFile.commit(tmp, target);   // fsync, rename, fsync of the directory
            committed = true;
        }

        @Override public void close() throws IOException {
            if (!committed) { out.close(); AtomicFile.discard(tmp); }
        }
    }
}
