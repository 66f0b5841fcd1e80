package dev.actlab.model.imatrix;

import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An imatrix file matched to the matrices about to be quantized, as llama-quantize --imatrix reads it:
 * per matrix, the entry's sums divided by its calls (one value per input column). Stricter than
 * llama-quantize, which quantizes a matrix without weights when its entry is missing: here a missing
 * entry (except token_embd.weight, a lookup that llama-imatrix never sees) or one of the wrong length is
 * a FormatException naming the file and the entry.
 *
 * @param path      the file as the user named it (llama-quantize records this string in the output)
 * @param file      its contents
 * @param weights   matrix name to importance values, for every matrix that has an entry
 */
public record ImatrixWeights(String path, ImatrixFile file, Map<String, float[]> weights) {

    /** The tensor that an imatrix lacks by design. */
    public static final String TOKEN_EMBEDDING = "token_embd.weight";

    /** Reads path and matches it to matrices (name to column count, in quantization order). */
    public static ImatrixWeights read(String path, Map<String, Long> matrixColumns) throws IOException {
        Path p = Path.of(path);
        ImatrixFile f = ImatrixFile.read(p);
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Map.Entry<String, Long> m : matrixColumns.entrySet()) {
            ImatrixFile.Entry e = f.entry(m.getKey());
            if (e == null) {
                if (m.getKey().equals(TOKEN_EMBEDDING)) continue;
                throw new FormatException(p, "entries", 0, "no entry for " + m.getKey() + " among its " + f.entries().size()
                        + " (was it made from this model?)");
            }
            if (e.values().length != m.getValue())
                throw new FormatException(p, "values of " + m.getKey(), f.valueCountOffset(m.getKey()),
                        e.values().length + " values, but the matrix has " + m.getValue() + " input columns");
            w.put(m.getKey(), f.importance(m.getKey()));
        }
        return new ImatrixWeights(path, f, w);
    }

    /**
     * The metadata llama-quantize adds to a file quantized with an imatrix, in its order: the
     * file name as given and the dataset name (each cut to 127 bytes, as its fixed-size override
     * strings are), the entry count, and the chunk count when it is positive.
     */
    public Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("quantize.imatrix.file", cut(path));
        if (file.hasDataset()) m.put("quantize.imatrix.dataset", cut(file.dataset()));
        m.put("quantize.imatrix.entries_count", file.entries().size());
        if (file.chunks() > 0) m.put("quantize.imatrix.chunks_count", file.chunks());
        return m;
    }

    private static String cut(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= 127 ? s : new String(b, 0, 127, StandardCharsets.UTF_8);
    }
}
