package dev.actlab.model.imatrix;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The legacy imatrix file: byte layout written by hand, round trip, and damaged files as FormatException. */
class ImatrixFileTest {
    @TempDir Path dir;

    private static ImatrixFile sample() {
        return new ImatrixFile(List.of(
                new ImatrixFile.Entry("blk.0.attn_k.weight", 3, new float[]{3f, 6f, 0.75f}),
                new ImatrixFile.Entry("blk.0.ffn_down.weight", 3, new float[]{9f, 1.5f})), 3, "calib.txt");
    }

    @Test
    void writesTheLayoutLlamaCppReadsAndReadsItBack() throws Exception {
        Path f = dir.resolve("m.dat");
        sample().write(f);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, b.getInt());
        assertEquals(19, b.getInt());
        byte[] name = new byte[19];
        b.get(name);
        assertEquals("blk.0.attn_k.weight", new String(name, StandardCharsets.US_ASCII));
        assertEquals(3, b.getInt());
        assertEquals(3, b.getInt());
        assertEquals(3f, b.getFloat());
        assertEquals(6f, b.getFloat());
        assertEquals(0.75f, b.getFloat());
        b.position(b.position() + 4 + 21 + 4 + 4 + 8);
        assertEquals(3, b.getInt());             // chunks
        assertEquals(9, b.getInt());
        b.position(b.position() + 9);
        assertFalse(b.hasRemaining());

        ImatrixFile r = ImatrixFile.read(f);
        assertEquals(3, r.chunks());
        assertEquals("calib.txt", r.dataset());
        assertEquals(List.of("blk.0.attn_k.weight", "blk.0.ffn_down.weight"), r.entries().stream().map(ImatrixFile.Entry::name).toList());
        assertArrayEquals(new float[]{1f, 2f, 0.25f}, r.importance("blk.0.attn_k.weight"));   // values / calls
        assertArrayEquals(new float[]{3f, 0.5f}, r.importance("blk.0.ffn_down.weight"));
        assertNull(r.importance("output.weight"));
        assertArrayEquals(Files.readAllBytes(f), sample().toBytes());
    }

    @Test
    void aFileWithoutTheTrailerStillReads() throws Exception {
        byte[] all = sample().toBytes();
        Path f = dir.resolve("old.dat");
        Files.write(f, Arrays.copyOf(all, all.length - 4 - 4 - 9));
        ImatrixFile r = ImatrixFile.read(f);
        assertEquals(0, r.chunks());
        assertEquals("", r.dataset());
        assertEquals(2, r.entries().size());
    }

    @Test
    void damagedFilesAreFormatExceptionsNamingTheField() throws Exception {
        byte[] good = sample().toBytes();
        assertBad(Arrays.copyOf(good, 2), "entries");
        assertBad(Arrays.copyOf(good, 40), "entry[0]");
        assertBad(Arrays.copyOf(good, good.length - 3), "dataset");
        assertBad(Arrays.copyOf(good, good.length + 1), "(end)");
        assertBad(patch(good, 0, 0), "entries");                     // no entry
        assertBad(patch(good, 0, -5), "entries");
        assertBad(patch(good, 0, 1 << 30), "entries");               // a count the bytes cannot hold: no allocation
        assertBad(patch(good, 4, Integer.MAX_VALUE), "entry[0].name");
        assertBad(patch(good, 4 + 4 + 19 + 4, 1 << 29), "entry[0].values");
        assertBad(patch(good, 4 + 4 + 19, -1), "entry[0].calls");
        byte[] twice = new ImatrixFile(List.of(new ImatrixFile.Entry("blk.0.attn_k.weight", 1, new float[]{1f}),
                new ImatrixFile.Entry("blk.0.attn_q.weight", 1, new float[]{1f})), 1, "t").toBytes();
        twice[4 + 4 + 19 + 8 + 4 + 4 + 11] = 'k';                    // the second name made equal to the first
        assertBad(twice, "entry[1].name");
    }

    private static byte[] patch(byte[] b, int at, int value) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return c;
    }

    private Path write(byte[] b) throws Exception {
        Path f = Files.createTempFile(dir, "bad", ".dat");
        Files.write(f, b);
        return f;
    }

    private void assertBad(byte[] b, String field) throws Exception {
        Path f = write(b);
        FormatException e = assertThrows(FormatException.class, () -> ImatrixFile.read(f));
        assertTrue(e.field().startsWith(field), "field " + e.field() + ", expected " + field + ": " + e.getMessage());
        assertEquals(f, e.file());
    }
}
