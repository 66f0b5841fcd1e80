package dev.actlab.model.load;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaShape;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRefTest {
    @Test
    void withoutModelTheDefaultBesideTheLauncherIsLoaded(@TempDir Path home) throws Exception {
        Path stories = Shared.stories260K();
        String before = System.getProperty("actlab.home");
        System.setProperty("actlab.home", home.toString());
        try {
            var e = assertThrows(NoSuchFileException.class, () -> ModelRef.load(null));
            assertTrue(e.getMessage().contains(home.resolve(ModelRef.DEFAULT_MODEL).toString()), e.getMessage());
            Files.createDirectories(home.resolve("models"));
            Files.copy(stories, home.resolve(ModelRef.DEFAULT_MODEL));   // readers are chosen by content, not name
            assertEquals(512, ModelRef.decoder(null).config().vocabSize());
            assertEquals(home.resolve(ModelRef.DEFAULT_MODEL), ModelRef.path(null));
            assertEquals(Path.of("x.bin"), ModelRef.path("x.bin"));
        } finally {
            if (before == null) System.clearProperty("actlab.home"); else System.setProperty("actlab.home", before);
        }
    }

    @Test
    void randomShapesAreDecodersAndTinyIsTheOld260KName() throws Exception {
        assertFalse(ModelRef.isEncoder("random:tiny"));
        var tiny = (dev.actlab.model.llama.LlamaModel) ModelRef.load("random:tiny");
        assertEquals(LlamaShape.STORIES_260K.config(), tiny.config());
        assertEquals(LlamaShape.STORIES_260K.config(), ModelRef.decoder("random:260k", 7).config());
        var e = assertThrows(IllegalArgumentException.class, () -> ModelRef.decoder("random:7B"));
        assertTrue(e.getMessage().contains("unknown random model shape '7B'"), e.getMessage());
    }
}
