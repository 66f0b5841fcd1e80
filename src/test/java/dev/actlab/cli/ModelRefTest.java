package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

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
            assertEquals(512, ModelRef.decoder((String) null).config().vocabSize());
            assertEquals(home.resolve(ModelRef.DEFAULT_MODEL), ModelRef.path(null));
            assertEquals(Path.of("x.bin"), ModelRef.path("x.bin"));
        } finally {
            if (before == null) System.clearProperty("actlab.home"); else System.setProperty("actlab.home", before);
        }
    }
}
