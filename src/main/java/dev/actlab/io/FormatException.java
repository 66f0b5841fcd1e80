package dev.actlab.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model or data file that cannot be read as what it claims to be. The message always names
 * the file, the field and the byte offset where the problem was found.
 */
public class FormatException extends IOException {
    private final Path file;
    private final String field;
    private final long offset;

    public FormatException(Path file, String field, long offset, String problem) {
        super(file + ": " + field + " at offset " + offset + ": " + problem);
        this.file = file; this.field = field; this.offset = offset;
    }

    public Path file() { return file; }
    public String field() { return field; }
    public long offset() { return offset; }
}
