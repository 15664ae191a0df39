package org.celeriac.tck;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.TaskState;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;

/**
 * Runs a result-backend operation in a second JVM, for the cross-process rule: the child gets
 * this JVM's class path plus {@link TckConfiguration#classpath()}, the configuration as system
 * properties, finds the backend by URL and stores a task meta whose result is a string. Use it from
 * {@link ResultBackendTck#storeInAnotherProcess} in a subclass:
 * <pre>{@code
 * protected void storeInAnotherProcess(TaskMeta meta) {
 *     TckSecondProcess.store(TckConfiguration.empty().withResultBackend(URL), meta, Duration.ofSeconds(30));
 * }
 * }</pre>
 * Blocking; thread-safe (each call starts its own process).
 */
public final class TckSecondProcess {
    private TckSecondProcess() {
    }

    /**
     * Stores {@code meta} (task id, state and {@code String.valueOf(result)}) through the backend at
     * {@code configuration.resultBackendUrl()} from a new JVM, and waits for it to exit.
     *
     * @param timeout how long the child may take; it is killed after that
     * @throws AssertionError when the child fails or times out, with its output
     */
    public static void store(TckConfiguration configuration, TaskMeta meta, Duration timeout) {
        if (configuration.resultBackendUrl() == null) {
            throw new IllegalArgumentException("the configuration has no result-backend URL");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.add("-cp");
        cmd.add(classpath(configuration));
        for (Map.Entry<String, String> e : configuration.toSystemProperties().entrySet()) {
            cmd.add("-D" + e.getKey() + "=" + e.getValue());
        }
        cmd.add(SecondProcessMain.class.getName());
        cmd.add(meta.taskId());
        cmd.add(meta.state().name());
        cmd.add(String.valueOf(meta.result()));
        Path out = null;
        Process p = null;
        try {
            out = Files.createTempFile("celeriac-tck-child", ".log");
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the second process did not finish within " + timeout + ": " + read(out));
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("the second process failed (exit " + p.exitValue() + "): " + read(out));
            }
        } catch (IOException e) {
            throw new AssertionError("cannot start a second JVM (" + cmd.get(0) + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (p != null) {
                p.destroyForcibly();
            }
            throw new AssertionError("interrupted while waiting for the second process", e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    private static String read(Path out) throws IOException {
        String s = Files.readString(out, StandardCharsets.UTF_8);
        return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String classpath(TckConfiguration c) {
        Set<String> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(e);
            }
        }
        for (Path p : c.classpath()) {
            entries.add(p.toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The child's entry point: {@code <taskId> <state> <result>}; configuration from system properties. */
    public static final class SecondProcessMain {
        private SecondProcessMain() {
        }

        /**
         * Stores one result and exits 0, or prints the error and exits 1.
         *
         * @param args task id, state name, result text
         */
        public static void main(String[] args) {
            if (args.length != 3) {
                System.err.println("usage: SecondProcessMain <taskId> <state> <result>");
                System.exit(2);
            }
            TckConfiguration c = TckConfiguration.fromSystemProperties();
            try (ResultBackend b = Providers.resultBackend(c.resultBackendUrl(), Settings.of(c.settings()),
                    SecondProcessMain.class.getClassLoader())) {
                b.store(TaskMeta.of(args[0], TaskState.of(args[1]), args[2], null));
            } catch (RuntimeException e) {
                e.printStackTrace();
                System.exit(1);
            }
            System.exit(0);
        }
    }
}
