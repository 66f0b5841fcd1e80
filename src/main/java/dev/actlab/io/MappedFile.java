package dev.actlab.io;

import dev.actlab.io.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only memory-mapped file with bounds-checked little-endian reads that fail with a
 * {@link FormatException} naming the file, the field and the offset.
 */
public final class MappedFile {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment segment;

    private MappedFile(Path path, MemorySegment segment) { this.path = path; this.segment = segment; }

    /** Maps the whole file for the life of the process (weights are used until exit). */
    public static MappedFile open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.global());
            return new MappedFile(path, seg);
        }
    }

    public static MappedFile of(Path nameForErrors, MemorySegment segment) { return new MappedFile(nameForErrors, segment); }

    public Path path() { return path; }
    public long size() { return segment.byteSize(); }
    public MemorySegment segment() { return segment; }

    /** Fails unless [offset, offset + length) lies inside the file. */
    public void require(String field, long offset, long length) throws FormatException {
        if (offset < 0 || length < 0 || offset > segment.byteSize() - length)
            throw new FormatException(path, field, offset, "needs " + length + " bytes but the file has " + segment.byteSize()
                    + " (truncated or corrupt)");
    }

    public MemorySegment slice(String field, long offset, long length) throws FormatException {
        require(field, offset, length);
        return segment.asSlice(offset, length);
    }

    public int i32(String field, long offset) throws FormatException { require(field, offset, 4); return segment.get(I32, offset); }
    public long i64(String field, long offset) throws FormatException { require(field, offset, 8); return segment.get(I64, offset); }
    public float f32(String field, long offset) throws FormatException { require(field, offset, 4); return segment.get(F32, offset); }
    public byte u8(String field, long offset) throws FormatException { require(field, offset, 1); return segment.get(ValueLayout.JAVA_BYTE, offset); }

    public float[] floats(String field, long offset, int count) throws FormatException {
        require(field, offset, (long) count * 4);
        float[] out = new float[count];
        MemorySegment.copy(segment, F32, offset, out, 0, count);
        return out;
    }
}
