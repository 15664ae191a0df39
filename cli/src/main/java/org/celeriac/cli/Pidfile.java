package org.celeriac.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import org.celeriac.api.CeleriacException;

/**
 * A pid lock file as Celery's {@code celery/platforms.py Pidfile}/{@code create_pidlock}: {@code <pid>\n},
 * created exclusively with mode 0644; a second start while the recorded process is alive is refused (exit
 * {@link #EX_CANTCREAT}); a stale or broken file is replaced. {@link #close()} removes it if it still holds this
 * process's pid. Not thread-safe.
 */
final class Pidfile implements AutoCloseable {
    /** Celery's exit code when the pid file is held by a running process ({@code os.EX_CANTCREAT}). */
    static final int EX_CANTCREAT = 73;

    private final Path path;
    private final long pid;
    private Thread hook;

    private Pidfile(Path path, long pid) {
        this.path = path;
        this.pid = pid;
    }

    Path path() {
        return path;
    }

    /** Raised when another live process holds the pid file; the message is Celery's. */
    static final class LockedException extends CeleriacException {
        private static final long serialVersionUID = 1L;

        LockedException(Path path, long pid) {
            super("ERROR: Pidfile (" + path + ") already exists.\nSeems we're already running? (pid: " + pid + ")");
        }
    }

    /**
     * Creates the pid file for this process (parent directories too), replacing a stale or broken one with
     * Celery's notice on {@code err}, and removes it at JVM exit. Blocks briefly (file I/O).
     *
     * @throws LockedException when the file names a process that is alive
     * @throws CeleriacException when it cannot be written (e.g. no permission), saying which path
     */
    static Pidfile acquire(Path file, PrintStream err) {
        Path path = file.toAbsolutePath().normalize();
        long self = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            try {
                if (path.getParent() != null) {
                    Files.createDirectories(path.getParent());
                }
                write(path, self);
                Pidfile p = new Pidfile(path, self);
                p.hook = new Thread(p::remove, "celeriac-pidfile");
                Runtime.getRuntime().addShutdownHook(p.hook);
                return p;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 3) {
                    throw new CeleriacException("pidfile " + path + ": could not replace it; remove it by hand", e);
                }
                OptionalLong held;
                try {
                    held = readPid(path);
                } catch (IllegalStateException broken) {
                    err.println("Broken pidfile found - Removing it.");
                    delete(path);
                    continue;
                }
                if (held.isPresent() && alive(held.getAsLong())) {
                    throw new LockedException(path, held.getAsLong());
                }
                if (held.isPresent()) {
                    err.println("Stale pidfile exists - Removing it.");
                }
                delete(path);
            } catch (IOException e) {
                throw new CeleriacException("pidfile " + path + ": cannot write it (" + e
                        + "); choose a writable path with --pidfile", e);
            }
        }
    }

    private static void write(Path path, long pid) throws IOException {
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(path);
        }
        try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
            out.write((pid + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * The pid in a pid file; empty when there is no file (or it is empty). Blocks briefly.
     *
     * @throws IllegalStateException when the content is not {@code <pid>\n} (Celery's "partial or invalid pidfile")
     */
    static OptionalLong readPid(Path path) {
        String s;
        try {
            s = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new IllegalStateException("pidfile " + path + ": unreadable: " + e, e);
        }
        if (s.isEmpty()) {
            return OptionalLong.empty();
        }
        String line = s.lines().findFirst().orElse("");
        if (!s.contains("\n")) {
            throw new IllegalStateException("Partial or invalid pidfile " + path);
        }
        try {
            return OptionalLong.of(Long.parseLong(line.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalStateException("pidfile " + path + " contents invalid.");
        }
    }

    /** Whether a process with this pid runs (Celery's {@code os.kill(pid, 0)}). */
    static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // Celery ignores ENOENT and EACCES here too; the next write reports a real problem
        }
    }

    /** Removes the file if it still holds this process's pid. */
    private void remove() {
        try {
            if (readPid(path).orElse(-1) == pid) {
                delete(path);
            }
        } catch (IllegalStateException e) {
            // someone else's content: leave it
        }
    }

    @Override
    public void close() {
        remove();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            hook = null;
        }
    }
}
