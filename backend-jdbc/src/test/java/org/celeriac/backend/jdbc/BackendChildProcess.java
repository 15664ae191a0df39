package org.celeriac.backend.jdbc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.TaskMeta;

/**
 * A second JVM for {@link CrossProcessTest}: opens a backend on the URL given as the first argument,
 * prints {@code open}, then obeys lines on stdin: {@code store <id> <STATE>} (answers {@code stored <id>}),
 * {@code bulk <prefix> <n>} (stores n SUCCESS results from 8 threads, answers {@code bulk <n>}),
 * {@code halt} (dies without closing anything, like a killed worker) and {@code exit}.
 */
public final class BackendChildProcess {
    private BackendChildProcess() {
    }

    public static void main(String[] args) throws Exception {
        JdbcResultBackend backend = TestBackends.open(args[0], Map.of());
        System.out.println("open");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] cmd = line.trim().split(" ");
            switch (cmd[0]) {
                case "store" -> {
                    TaskState state = TaskState.of(cmd[2]);
                    backend.store(new TaskMeta(cmd[1], state, 42L, null, List.of(),
                            state.isReady() ? Instant.now() : null, null, null, null));
                    System.out.println("stored " + cmd[1]);
                }
                case "bulk" -> {
                    int n = Integer.parseInt(cmd[2]);
                    Thread[] threads = new Thread[8];
                    for (int t = 0; t < threads.length; t++) {
                        int thread = t;
                        threads[t] = Thread.ofPlatform().start(() -> {
                            for (int i = thread; i < n; i += threads.length) {
                                backend.store(new TaskMeta(cmd[1] + i, TaskState.SUCCESS, (long) i, null, List.of(),
                                        Instant.now(), null, null, null));
                            }
                        });
                    }
                    for (Thread t : threads) {
                        t.join();
                    }
                    System.out.println("bulk " + n);
                }
                case "halt" -> Runtime.getRuntime().halt(0);
                case "exit" -> {
                    backend.close();
                    System.out.println("bye");
                    System.out.flush();
                    System.exit(0);
                }
                default -> System.out.println("unknown " + line);
            }
            System.out.flush();
        }
        backend.close();
    }
}
