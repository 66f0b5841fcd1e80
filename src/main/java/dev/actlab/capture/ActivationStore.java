package dev.actlab.capture;

import dev.actlab.io.FormatException;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reads an activation store written by {@link ActivationCapture}: rows of one site in capture
 * order or in a seeded shuffle, straight from the memory-mapped shards.
 */
public final class ActivationStore {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final CaptureManifest manifest;
    private final List<SafetensorsFile> shards = new ArrayList<>();
    private final long[] firstRow;

    private ActivationStore(Path dir, CaptureManifest manifest) throws IOException {
        this.dir = dir; this.manifest = manifest;
        firstRow = new long[manifest.shards.size() + 1];
        for (int i = 0; i < manifest.shards.size(); i++) {
            CaptureManifest.Shard s = manifest.shards.get(i);
            Path file = dir.resolve(s.file());
            if (s.bytes() > 0 && java.nio.file.Files.isRegularFile(file) && java.nio.file.Files.size(file) != s.bytes())
                throw new FormatException(file, "file size", 0, java.nio.file.Files.size(file) + " bytes, the manifest recorded " + s.bytes()
                        + " (truncated or replaced since the capture: run the capture again to redo it)");
            SafetensorsFile f = SafetensorsFile.open(file);
            for (CaptureManifest.Site site : manifest.sites) {
                SafetensorsFile.Tensor t = f.tensor(site.name());
                if (t.shape().length != 2 || t.shape()[0] != s.rows() || t.shape()[1] != site.width())
                    throw new FormatException(f.path(), "tensor '" + site.name() + "'.shape", t.begin(),
                            java.util.Arrays.toString(t.shape()) + " disagrees with the manifest [" + s.rows() + ", " + site.width() + "]");
            }
            shards.add(f);
            firstRow[i + 1] = firstRow[i] + s.rows();
        }
    }

    public static ActivationStore open(Path dir) throws IOException { return new ActivationStore(dir, CaptureManifest.read(dir)); }

    public CaptureManifest manifest() { return manifest; }
    public long rows() { return firstRow[firstRow.length - 1]; }
    public Path dir() { return dir; }

    /** Copies row r of a site into dst[off : off + width]. */
    public void row(String site, long r, float[] dst, int off) throws FormatException {
        int s = shardOf(r);
        SafetensorsFile f = shards.get(s);
        SafetensorsFile.Tensor t = f.tensor(site);
        int width = (int) t.shape()[1];
        long local = r - firstRow[s];
        MemorySegment seg = f.data(t);
        if (t.dtype() == DType.F32) {
            MemorySegment.copy(seg, F32, local * width * 4, dst, off, width);
        } else {
            long base = local * width * 2;
            for (int i = 0; i < width; i++) {
                short h = seg.get(U16, base + 2L * i);
                dst[off + i] = t.dtype() == DType.F16 ? Float.float16ToFloat(h) : Float.intBitsToFloat((h & 0xFFFF) << 16);
            }
        }
    }

    /** Token id of row r. */
    public int tokenId(long r) throws FormatException {
        int s = shardOf(r);
        SafetensorsFile f = shards.get(s);
        var t = f.tensor("token_ids");
        long at = (r - firstRow[s]) * 4;
        // I32 since 0.2.0; earlier captures stored the ids as F32
        return t.dtype() == DType.I32 ? f.data(t).get(I32, at) : (int) f.data(t).get(F32, at);
    }

    /** [start, end) UTF-8 byte offsets of row r's token in the input text (-1, -1: not placed); needs a capture from text. */
    public int[] tokenOffsets(long r) throws FormatException {
        if (!manifest.tokenOffsets) throw new IllegalStateException(dir + " was captured from token ids: it has no token_offsets");
        int s = shardOf(r);
        SafetensorsFile f = shards.get(s);
        int[] out = new int[2];
        MemorySegment.copy(f.data(f.tensor("token_offsets")), I32, (r - firstRow[s]) * 8, out, 0, 2);
        return out;
    }

    /** Rows [from, from + n) of a site as one [n, width] array. */
    public float[] rows(String site, long from, int n) throws FormatException {
        int width = manifest.site(site).width();
        float[] out = new float[n * width];
        for (int i = 0; i < n; i++) row(site, from + i, out, i * width);
        return out;
    }

    /** A permutation of all rows, the same for the same seed (Fisher-Yates). */
    public long[] shuffledOrder(long seed) {
        long n = rows();
        if (n > Integer.MAX_VALUE) throw new IllegalStateException("store has " + n + " rows; shuffle in shards instead");
        long[] order = new long[(int) n];
        for (int i = 0; i < order.length; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            long tmp = order[i]; order[i] = order[j]; order[j] = tmp;
        }
        return order;
    }

    private int shardOf(long r) {
        if (r < 0 || r >= rows()) throw new IndexOutOfBoundsException("row " + r + " outside [0, " + rows() + ") of " + dir);
        int lo = 0, hi = shards.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstRow[mid] <= r) lo = mid; else hi = mid - 1;
        }
        return lo;
    }
}
