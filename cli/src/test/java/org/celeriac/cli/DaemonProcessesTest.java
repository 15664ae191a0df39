package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.awaitility.Awaitility;
import org.celeriac.core.config.EmbeddedDefault;
import org.celeriac.core.internal.NodeNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real detached worker JVMs on a temporary embedded H2 database: {@code worker --detach} with its pid file,
 * refusal of a second start, SIGHUP reopening the log file, SIGTERM; and {@code multi start/kill/stopwait/stop}.
 */
class DaemonProcessesTest {
    private static final Duration START = Duration.ofSeconds(120);
    private static final String HOST = NodeNames.hostname();

    @TempDir
    Path dir;

    private String url;
    private final List<Path> pidfiles = new ArrayList<>();

    @BeforeEach
    void database() {
        url = EmbeddedDefault.at(dir.resolve("db")).url();
    }

    /** Kills whatever a failed test left running. */
    @AfterEach
    void killLeftovers() {
        for (Path p : pidfiles) {
            try {
                OptionalLong pid = Pidfile.readPid(p);
                pid.ifPresent(x -> ProcessHandle.of(x).ifPresent(ProcessHandle::destroyForcibly));
                Files.deleteIfExists(p); // celerybeat.pid is in the module's directory
            } catch (IllegalStateException | IOException ignored) {
                // no pid to kill
            }
        }
        try (var logs = Files.walk(dir)) {
            logs.filter(f -> f.toString().contains(".log")).forEach(f -> {
                try {
                    Files.readAllLines(f).forEach(l -> System.err.println("  " + f.getFileName() + " | " + l));
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private List<String> connection() {
        return List.of("-A", "org.celeriac.examples.Tasks", "--broker=" + url, "--result-backend=" + url);
    }

    private void awaitPing(String node) {
        Awaitility.await(node + " answers a ping").atMost(START).pollInterval(Duration.ofMillis(500))
                .until(() -> Captured.run("inspect", "ping", "-d", node, "-t", "1", "--broker", url,
                        "--result-backend", url).exitCode() == 0);
    }

    private static long pid(Path pidfile) {
        return Pidfile.readPid(pidfile).orElseThrow();
    }

    private static void awaitGone(long pid) {
        Awaitility.await("process " + pid + " exits").atMost(Duration.ofSeconds(60)).until(() -> !Pidfile.alive(pid));
    }

    @Test
    void a_detached_worker_writes_its_pid_file_answers_reopens_its_log_on_sighup_and_stops_on_sigterm()
            throws Exception {
        Path pidfile = dir.resolve("run/detached.pid");
        Path logfile = dir.resolve("log/detached.log");
        pidfiles.add(pidfile);
        List<String> args = new ArrayList<>(List.of("worker", "-n", "detached@%h", "--pidfile",
                dir.resolve("run/%n.pid").toString(), "--logfile", dir.resolve("log/%n%I.log").toString()));
        args.addAll(connection());
        List<String> detached = new ArrayList<>(args);
        detached.add("--detach");

        Captured started = Captured.run(detached.toArray(String[]::new));
        assertThat(started.exitCode()).isZero();
        long pid = pid(pidfile);
        assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(Pidfile.alive(pid)).isTrue();
        assertThat(Files.readString(logfile)).as("--detach returns once the worker is ready")
                .contains("detached@" + HOST + " ready.");
        awaitPing("detached@" + HOST);

        Captured second = Captured.run(args.toArray(String[]::new));
        assertThat(second.exitCode()).isEqualTo(Pidfile.EX_CANTCREAT);
        assertThat(second.err()).contains("Seems we're already running? (pid: " + pid + ")");

        Path rotated = dir.resolve("log/detached.log.1");
        Files.move(logfile, rotated);
        assertThat(new ProcessBuilder("kill", "-HUP", String.valueOf(pid)).start().waitFor()).isZero();
        Awaitility.await("a new log file after SIGHUP").atMost(Duration.ofSeconds(20))
                .until(() -> Files.exists(logfile) && Files.readString(logfile).contains("reopened (SIGHUP)"));
        assertThat(Pidfile.alive(pid)).isTrue();

        assertThat(ProcessHandle.of(pid).orElseThrow().destroy()).isTrue();
        awaitGone(pid);
        assertThat(pidfile).doesNotExist();
        assertThat(Files.readString(logfile)).contains("Warm shutdown");
    }

    @Test
    void a_detached_worker_that_cannot_start_makes_the_parent_fail_with_the_end_of_its_log() throws Exception {
        Path pidfile = dir.resolve("run/broken.pid");
        Captured c = Captured.run("worker", "--detach", "-n", "broken@%h", "--pidfile", pidfile.toString(), "--logfile",
                dir.resolve("log/broken.log").toString(), "--broker", "nosuchscheme://nowhere");
        assertThat(c.exitCode()).isEqualTo(Main.TASK_FAILED);
        assertThat(c.err()).contains("* Child terminated with exit code 4").contains("nosuchscheme");
        assertThat(pidfile).doesNotExist();
    }

    @Test
    void a_detached_beat_writes_its_default_pid_file_in_the_working_directory_and_stops_on_sigterm() throws Exception {
        Path logfile = dir.resolve("log/beat.log");
        Path pidfile = Path.of("celerybeat.pid").toAbsolutePath(); // beat's default, as Celery's
        pidfiles.add(pidfile);
        Files.deleteIfExists(pidfile);
        Captured started = Captured.run("beat", "--detach", "--logfile", logfile.toString(), "--schedule",
                dir.resolve("celerybeat-schedule").toString(), "--broker=" + url, "--result-backend=" + url);
        assertThat(started.exitCode()).isZero();
        long pid = pid(pidfile);
        Awaitility.await("beat's banner").atMost(START)
                .until(() -> Files.exists(logfile) && Files.readString(logfile).contains("is starting"));
        assertThat(ProcessHandle.of(pid).orElseThrow().destroy()).isTrue();
        awaitGone(pid);
        assertThat(pidfile).doesNotExist();
    }

    @Test
    void multi_starts_named_workers_refuses_a_second_start_and_stops_or_kills_them() throws Exception {
        String pidPattern = dir.resolve("multi/%n.pid").toString();
        List<String> common = new ArrayList<>(List.of("--pidfile=" + pidPattern,
                "--logfile=" + dir.resolve("multi/%n%I.log"), "-c", "1", "-c:2", "2"));
        common.addAll(connection());
        Path w1 = dir.resolve("multi/w1.pid");
        Path w2 = dir.resolve("multi/w2.pid");
        pidfiles.addAll(List.of(w1, w2));

        Captured start = multi("start", common);
        assertThat(start.exitCode()).isZero();
        assertThat(start.out()).contains("> Starting nodes...\n\t> w1@" + HOST + ": OK\n\t> w2@" + HOST + ": OK\n");
        awaitPing("w1@" + HOST);
        awaitPing("w2@" + HOST);
        Captured stats = Captured.run("inspect", "stats", "-j", "-d", "w2@" + HOST, "-t", "5", "--broker", url,
                "--result-backend", url);
        assertThat(stats.out()).contains("\"max-concurrency\": 2");

        Captured again = multi("start", common);
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.out()).contains("\t> w1@" + HOST + ": FAILED");
        assertThat(again.err()).contains("Seems we're already running? (pid: " + pid(w1) + ")");

        long pid1 = pid(w1);
        long pid2 = pid(w2);
        Captured kill = Captured.run("multi", "kill", "w2", "--pidfile=" + pidPattern);
        assertThat(kill.out()).contains("Sending KILL to node w2@" + HOST + " (" + pid2 + ")");
        awaitGone(pid2);
        assertThat(w2).exists(); // SIGKILL leaves a stale pid file

        Captured stopwait = multi("stopwait", List.of("--pidfile=" + pidPattern));
        assertThat(stopwait.exitCode()).isZero();
        assertThat(stopwait.out()).contains("> Stopping nodes...", "\t> w1@" + HOST + ": TERM -> " + pid1,
                "Could not signal w2@" + HOST + " (" + pid2 + "): No such process", "\t> w1@" + HOST + ": OK");
        assertThat(Pidfile.alive(pid1)).isFalse();
        assertThat(w1).doesNotExist();

        List<String> single = new ArrayList<>(common);
        single.removeAll(List.of("-c:2", "2")); // -c:2 names the second node: there is one now
        Captured restart = Captured.run(withCommon(List.of("multi", "start", "w2"), single));
        assertThat(restart.exitCode()).isZero();
        assertThat(restart.out()).contains("\t> w2@" + HOST + ": OK");
        long pid2b = pid(w2);
        assertThat(pid2b).isNotEqualTo(pid2);
        Captured stop = Captured.run("multi", "stop", "w2", "--pidfile=" + pidPattern);
        assertThat(stop.out()).contains("\t> w2@" + HOST + ": TERM -> " + pid2b);
        awaitGone(pid2b);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(w2));
    }

    private static Captured multi(String verb, List<String> common) {
        return Captured.run(withCommon(List.of("multi", verb, "w1", "w2"), common));
    }

    private static String[] withCommon(List<String> head, List<String> common) {
        List<String> all = new ArrayList<>(head);
        all.addAll(common);
        return all.toArray(String[]::new);
    }
}
