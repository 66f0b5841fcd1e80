package dev.actlab.sae;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.FormatException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A resumable SAE training state in one binary file (big-endian, written atomically): a header with
 * the options that must not change on resume, the steps done and the input scale, then every Adam
 * array (the weights in training scale: W_enc^T, b_enc, W_dec, b_dec, and jumprelu's log theta) with
 * its two moments, the thresholds, and each latent's tokens since it last fired.
 */
final class SaeCheckpoint {
    private static final int MAGIC = 0x53414543, VERSION = 1;   // "SAEC"

    record State(long steps, float scale) {}

    private SaeCheckpoint() {}

    static boolean exists(Path file) { return Files.isRegularFile(file); }

    static void save(Path file, String source, SaeTrainer.Options o, long steps, float scale, float[] threshold, Adam adam, long[] sinceFired) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFile.write(file, tmp -> {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
                out.writeInt(MAGIC); out.writeInt(VERSION);
                out.writeUTF(fingerprint(source, o));
                out.writeLong(steps); out.writeFloat(scale);
                out.writeInt(adam.steps()); out.writeInt(adam.arrays());
                for (int a = 0; a < adam.arrays(); a++) { floats(out, adam.param(a)); floats(out, adam.firstMoment(a)); floats(out, adam.secondMoment(a)); }
                floats(out, threshold);
                out.writeInt(sinceFired.length);
                for (long f : sinceFired) out.writeLong(f);
            }
        });
    }

    /** Restores the state into adam's arrays, threshold and sinceFired (sized for this run); throws if it belongs to another run. */
    static State load(Path file, String source, SaeTrainer.Options o, int dIn, float[] threshold, Adam adam, long[] sinceFired) throws IOException {
        if (!exists(file)) throw new IllegalArgumentException("--resume: no checkpoint at " + file);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) throw new FormatException(file, "magic", 0, "not an actlab SAE checkpoint");
            int version = in.readInt();
            if (version != VERSION) throw new FormatException(file, "version", 4, version + " (this actlab reads " + VERSION + ")");
            String saved = in.readUTF(), now = fingerprint(source, o);
            if (!saved.equals(now)) throw new IllegalArgumentException("--resume: " + file + " was trained with " + saved + "; this run asks for " + now);
            long steps = in.readLong();
            float scale = in.readFloat();
            int t = in.readInt(), arrays = in.readInt();
            if (arrays != adam.arrays()) throw new FormatException(file, "arrays", 0, arrays + ", expected " + adam.arrays());
            for (int a = 0; a < arrays; a++) {
                readFloats(in, file, adam.param(a)); readFloats(in, file, adam.firstMoment(a)); readFloats(in, file, adam.secondMoment(a));
            }
            readFloats(in, file, threshold);
            int n = in.readInt();
            if (n != sinceFired.length) throw new FormatException(file, "latents", 0, n + ", expected " + sinceFired.length + " (d_in " + dIn + ")");
            for (int i = 0; i < n; i++) sinceFired[i] = in.readLong();
            adam.restoreSteps(t);
            return new State(steps, scale);
        } catch (EOFException e) {
            throw new FormatException(file, "data", Files.size(file), "truncated");
        }
    }

    /** The options a resumed run must share and the source of rows and site (tokens may grow, logging may change). */
    private static String fingerprint(String source, SaeTrainer.Options o) {
        return source + ": arch " + o.arch().cliName() + ", k " + o.k() + ", expansion " + o.expansion() + ", lr " + o.lr() + ", batch " + o.batch() + ", seed " + o.seed()
                + ", l1 " + o.l1() + ", aux " + o.auxCoefficient() + ", k_aux " + o.kAux() + ", dead-after " + o.deadAfterTokens()
                + ", bandwidth " + o.bandwidth() + ", theta-init " + o.thetaInit()
                + (o.matryoshka().length > 0 ? ", matryoshka " + java.util.Arrays.toString(o.matryoshka()) : "") + (o.lrDecay() > 0 ? ", lr-decay " + o.lrDecay() : "");
    }

    private static void floats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float v : a) out.writeFloat(v);
    }

    private static void readFloats(DataInputStream in, Path file, float[] dst) throws IOException {
        int n = in.readInt();
        if (n != dst.length) throw new FormatException(file, "array", 0, "length " + n + ", expected " + dst.length);
        for (int i = 0; i < n; i++) dst[i] = in.readFloat();
    }
}
