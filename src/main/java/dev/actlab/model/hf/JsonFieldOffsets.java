package dev.actlab.model.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Byte offsets of the fields of a JSON file, by the dotted names errors use
 * ({@code rope_parameters.rope_theta}, {@code layer_types[1]}), so that a FormatException about
 * config.json can say where the field is. Computed only when an error is raised: a second read of
 * a small file on a path that ends the load anyway.
 */
final class JsonFieldOffsets {
    private static final JsonFactory FACTORY = JsonFactory.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private JsonFieldOffsets() {}

    /** The byte offset of field in file, or 0 when the file or the field cannot be found. */
    static long of(Path file, String field) {
        if (!Files.isRegularFile(file)) return 0;
        try (JsonParser p = FACTORY.createParser(file.toFile())) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) continue;
                if (t != JsonToken.FIELD_NAME && !p.getParsingContext().inArray()) continue;
                if (dotted(p.getParsingContext().pathAsPointer().toString()).equals(field))
                    return Math.max(0, p.currentTokenLocation().getByteOffset());
            }
        } catch (IOException | RuntimeException e) {
            return 0;   // a file that does not parse: the error being raised says why
        }
        return 0;
    }

    /** "/rope_parameters/rope_theta" -> "rope_parameters.rope_theta", "/layer_types/1" -> "layer_types[1]". */
    static String dotted(String pointer) {
        StringBuilder b = new StringBuilder();
        for (String seg : pointer.split("/")) {
            if (seg.isEmpty()) continue;
            String s = seg.replace("~1", "/").replace("~0", "~");
            if (s.chars().allMatch(Character::isDigit) && !b.isEmpty()) b.append('[').append(s).append(']');
            else b.append(b.isEmpty() ? "" : ".").append(s);
        }
        return b.toString();
    }

    /** A FormatException naming field at its offset in file. */
    static FormatException error(Path file, String field, String problem) {
        return new FormatException(file, field, of(file, field), problem);
    }
}
