package dev.actlab.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.io.AtomicFile;
import dev.actlab.model.safetensors.SafetensorsWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Feature activations of a text written for notebooks, atomically, in one of two formats (chosen by
 * the file name):
 * <ul>
 * <li>{@code .safetensors}: the code as a CSR matrix [tokens, d_sae], the layout of
 *     {@code scipy.sparse.csr_matrix((values, indices, indptr))}: {@code indptr} I32 [tokens + 1],
 *     {@code indices} I32 [nnz], {@code values} F32 [nnz]; plus {@code token_ids} and {@code positions}
 *     I32 [tokens] and, for a text, {@code token_offsets} I32 [tokens, 2] (UTF-8 byte offsets, as a
 *     capture store keeps them); metadata: format "csr", d_sae, hook_name.</li>
 * <li>{@code .jsonl}: one JSON object per token: {@code token} (its index), {@code id}, {@code text},
 *     {@code position}, {@code start}/{@code end} (for a text), {@code indices} and {@code values}.</li>
 * </ul>
 * A row's latents are as the code holds them (largest activation first).
 */
public final class SparseCodeFile {
    private SparseCodeFile() {}

    /** offsets: [2 * tokens] UTF-8 byte offsets, or null; text: each token's text (for jsonl), or null. */
    public static void write(Path file, SaeEncode.Result r, Sae sae, int[] offsets, String[] text) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".safetensors")) writeCsr(file, r, sae, offsets);
        else if (name.endsWith(".jsonl")) writeJsonLines(file, r, offsets, text);
        else throw new IllegalArgumentException(file + ": name the file .safetensors (CSR) or .jsonl (one token a line)");
    }

    private static void writeCsr(Path file, SaeEncode.Result r, Sae sae, int[] offsets) throws IOException {
        SparseCode c = r.code();
        int n = c.rows();
        long nnz = 0;
        for (int t = 0; t < n; t++) nnz += c.indices(t).length;
        if (nnz > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(nnz + " activations are too many for one file: encode a shorter text");
        int[] indptr = new int[n + 1], indices = new int[(int) nnz];
        float[] values = new float[(int) nnz];
        for (int t = 0; t < n; t++) {
            int[] idx = c.indices(t);
            System.arraycopy(idx, 0, indices, indptr[t], idx.length);
            System.arraycopy(c.values(t), 0, values, indptr[t], idx.length);
            indptr[t + 1] = indptr[t] + idx.length;
        }
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", "csr").metadata("d_sae", Integer.toString(sae.dSae())).metadata("hook_name", sae.cfg.hookName())
                .addI32("indptr", indptr, n + 1).addI32("indices", indices, nnz).addF32("values", values, nnz)
                .addI32("token_ids", r.tokens(), n).addI32("positions", r.positions(), n);
        if (offsets != null) w.addI32("token_offsets", offsets, n, 2);
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFile.write(file, w::write);
    }

    private static void writeJsonLines(Path file, SaeEncode.Result r, int[] offsets, String[] text) throws IOException {
        ObjectMapper json = new ObjectMapper();
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFile.write(file, tmp -> {
            try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                SparseCode c = r.code();
                for (int t = 0; t < c.rows(); t++) {
                    ObjectNode o = json.createObjectNode();
                    o.put("token", t);
                    o.put("id", r.tokens()[t]);
                    if (text != null) o.put("text", text[t]);
                    o.put("position", r.positions()[t]);
                    if (offsets != null) { o.put("start", offsets[2 * t]); o.put("end", offsets[2 * t + 1]); }
                    ArrayNode idx = o.putArray("indices"), val = o.putArray("values");
                    for (int a = 0; a < c.indices(t).length; a++) { idx.add(c.indices(t)[a]); val.add(c.values(t)[a]); }
                    out.write(json.writeValueAsString(o));
                    out.write('\n');
                }
            }
        });
    }
}
