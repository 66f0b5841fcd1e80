package dev.actlab.example;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A library user who forgets --add-modules jdk.incubator.vector is told which flag to add, at every entry point. */
class VectorModuleTest {
    @Test
    void withoutTheFlagEveryEntryPointSaysWhichFlagToAdd() throws Exception {
        assertTrue(dev.actlab.tensor.VectorModule.present());   // this JVM has it (surefire's argLine)
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", "target/classes" + java.io.File.pathSeparator + "target/test-classes",
                NoVectorFlagMain.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        List<String> lines = out.lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(4, lines.size(), out);
        for (String l : lines) {
            assertTrue(l.startsWith("java.lang.IllegalStateException: "), l);
            assertTrue(l.contains("--add-modules jdk.incubator.vector"), l);
        }
    }
}
