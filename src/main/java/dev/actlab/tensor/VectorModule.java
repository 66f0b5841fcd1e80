package dev.actlab.tensor;

/**
 * The kernels use the JDK's incubating Vector API, a module the JVM leaves out unless asked for it.
 * Library entry points call {@link #require()} first, so that a program started without the flag gets a
 * message saying which flag to add instead of a NoClassDefFoundError from deep inside a kernel. This
 * class itself touches no Vector API class.
 */
public final class VectorModule {
    /** The module the kernels need. */
    public static final String NAME = "jdk.incubator.vector";
    /** The JVM (and javac) option that adds it. */
    public static final String FLAG = "--add-modules " + NAME;

    private VectorModule() {}

    /** True when the module is in the boot layer (the JVM was started with {@link #FLAG}). */
    public static boolean present() { return ModuleLayer.boot().findModule(NAME).isPresent(); }

    /** Throws IllegalStateException naming the flag when the module is missing. */
    public static void require() {
        if (!present()) throw new IllegalStateException(message());
    }

    static String message() {
        return "actlab's kernels need the JDK's Vector API: start java with " + FLAG
                + " (compile with javac " + FLAG + "; under Maven, put it in maven-surefire-plugin's <argLine> and in the"
                + " compiler's <compilerArgs>; with the exec or application plugins, in the JVM arguments)";
    }
}
