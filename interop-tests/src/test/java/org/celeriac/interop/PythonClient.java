package org.celeriac.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code pyclient.py} (Python Celery's client) and returns the JSON lines it printed. */
final class PythonClient {
    private final Path dir;
    private final String url;
    private final String queue;

    PythonClient(Path dir, String url, String queue) {
        this.dir = dir;
        this.url = url;
        this.queue = queue;
    }

    /** A running {@code pyclient.py} invocation. */
    final class Run {
        private final Process process;
        private final Path out;
        private final Path err;

        private Run(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        /**
         * Waits for the script to exit with status 0 and returns its JSON lines.
         *
         * @throws AssertionError with its stderr when it failed or did not finish within {@code atMost}
         */
        List<JsonNode> await(Duration atMost) throws IOException, InterruptedException {
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("pyclient.py did not finish within " + atMost + "; stdout:\n"
                        + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError("pyclient.py exited with " + process.exitValue() + "; stdout:\n" + stdout
                        + "\nstderr:\n" + Files.readString(err, StandardCharsets.UTF_8));
            }
            return Interop.jsonLines(stdout);
        }
    }

    /** Starts {@code /usr/bin/python3 pyclient.py args...}; does not wait. */
    Run start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Interop.PYTHON, "pyclient.py"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Peer.pythonEnvironment(pb, url, queue);
        String tag = String.join("-", args).replaceAll("[^\\w-]", "_");
        Path out = dir.resolve("pyclient-" + tag + ".out");
        Path err = dir.resolve("pyclient-" + tag + ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return new Run(pb.start(), out, err);
    }
}
