package org.celeriac.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Follows a growing log file ({@code tail -f}) and hands each complete line to a consumer, until the
 * writer has finished and the file is read to its end. A child process writes the file directly (no
 * pipe), so nothing is lost when it exits. Runs in the calling thread; blocks until done.
 */
final class LogFollower {
    private static final long POLL_MILLIS = 50;

    private LogFollower() {
    }

    /**
     * @param file the file (waited for if it does not exist yet)
     * @param finished true once nothing more will be written (e.g. the process has exited)
     * @param onLine receives every complete line, without its line break
     * @throws IOException when the file cannot be read
     * @throws InterruptedException when interrupted while waiting for more output
     */
    static void follow(Path file, BooleanSupplier finished, Consumer<String> onLine)
            throws IOException, InterruptedException {
        while (!Files.exists(file)) {
            if (finished.getAsBoolean()) {
                return;
            }
            Thread.sleep(POLL_MILLIS);
        }
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (InputStream in = Files.newInputStream(file)) {
            while (true) {
                boolean done = finished.getAsBoolean(); // read before the last read: no line is missed
                int n = in.read(buf);
                if (n > 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            onLine.accept(partial.toString(StandardCharsets.UTF_8));
                            partial.reset();
                        } else if (buf[i] != '\r') {
                            partial.write(buf[i]);
                        }
                    }
                } else if (done) {
                    if (partial.size() > 0) {
                        onLine.accept(partial.toString(StandardCharsets.UTF_8));
                    }
                    return;
                } else {
                    Thread.sleep(POLL_MILLIS);
                }
            }
        }
    }
}
