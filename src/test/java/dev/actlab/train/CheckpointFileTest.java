package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFileTest {

    @Test
    void roundTripsTensorsAndMetadataInTheSafetensorsLayout(@TempDir Path dir) throws Exception {
        Map<String, CheckpointFile.Tensor> t = new LinkedHashMap<>();
        t.put("a.weight", new CheckpointFile.Tensor(new int[]{2, 3}, new float[]{1, 2, 3, 4, 5, -6.5f}));
        t.put("b", new CheckpointFile.Tensor(new int[]{1}, new float[]{Float.MIN_VALUE}));
        Path f = dir.resolve("x.safetensors");
        CheckpointFile.write(f, t, Map.of("format", "test"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8);
        assertEquals(8 + headerLen + 4 * 7, bytes.length);
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), header);
        Map<String, CheckpointFile.Tensor> back = CheckpointFile.read(f);
        assertArrayEquals(new int[]{2, 3}, back.get("a.weight").shape());
        assertArrayEquals(t.get("a.weight").values(), back.get("a.weight").values());
        assertArrayEquals(t.get("b").values(), back.get("b").values());
        assertEquals("test", CheckpointFile.metadata(f).get("format"));
    }

    @Test
    void corruptFilesAreTypedErrorsNamingTheField(@TempDir Path dir) throws Exception {
        Map<String, CheckpointFile.Tensor> t = Map.of("w", new CheckpointFile.Tensor(new int[]{4}, new float[4]));
        Path f = dir.resolve("x.safetensors");
        CheckpointFile.write(f, t, null);
        byte[] good = Files.readAllBytes(f);

        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(f, huge);
        FormatException e = assertThrows(FormatException.class, () -> CheckpointFile.read(f));
        assertEquals("header_size", e.field());

        Files.write(f, java.util.Arrays.copyOf(good, good.length - 4));   // truncated data
        e = assertThrows(FormatException.class, () -> CheckpointFile.read(f));
        assertEquals("w.data_offsets", e.field());

        String header = new String(good, 8, good.length - 8 - 16, StandardCharsets.UTF_8).replace("[4]", "[5]");
        byte[] wrongShape = good.clone();
        System.arraycopy(header.getBytes(StandardCharsets.UTF_8), 0, wrongShape, 8, header.length());
        Files.write(f, wrongShape);
        e = assertThrows(FormatException.class, () -> CheckpointFile.read(f));
        assertEquals("w.shape", e.field());
    }
}
