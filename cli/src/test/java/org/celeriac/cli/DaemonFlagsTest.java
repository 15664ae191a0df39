package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.celeriac.core.Celeriac;
import org.celeriac.core.internal.NodeNames;
import org.celeriac.spi.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The parsing side of the daemon flags: Celery's %-expansion, pid files, the worker flags that become settings,
 * Celery's global options before the command, and {@code multi}'s node names and per-node options.
 */
class DaemonFlagsTest {
    @TempDir
    Path dir;

    @Test
    void worker_expansion_is_celerys_node_format() {
        assertThat(NodeFormat.worker("/var/log/celeriac/%n%I.log", "w1@host.example.com"))
                .isEqualTo("/var/log/celeriac/w1.log");
        assertThat(NodeFormat.worker("%N-%h-%d-%p-%i-%%", "w1@host.example.com"))
                .isEqualTo("w1-host.example.com-example.com-w1@host.example.com-0-%");
        assertThat(NodeFormat.worker("%n.pid", "host")).isEqualTo("celery.pid");
        assertThatThrownBy(() -> NodeFormat.worker("/x/%q.log", "w1@h")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown format key %q").hasMessageContaining("%n (node short name)");
    }

    @Test
    void multi_expansion_keeps_the_process_index_for_the_worker() {
        assertThat(NodeFormat.multi("/var/log/celeriac/%n%I.log", "w1@box")).isEqualTo("/var/log/celeriac/w1%I.log");
        assertThat(NodeFormat.multi("%h|%d|%N|%i", "w1@box")).isEqualTo("w1@box|box|w1|%i");
    }

    @Test
    void a_pid_file_refuses_a_second_start_while_its_process_lives_and_replaces_a_stale_one() throws Exception {
        Path file = dir.resolve("run/w1.pid");
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(notes, true, StandardCharsets.UTF_8);
        try (Pidfile p = Pidfile.acquire(file, err)) {
            assertThat(Files.readString(file)).isEqualTo(ProcessHandle.current().pid() + "\n");
            assertThatThrownBy(() -> Pidfile.acquire(file, err)).isInstanceOf(Pidfile.LockedException.class)
                    .hasMessage("ERROR: Pidfile (" + file + ") already exists.\nSeems we're already running? (pid: "
                            + ProcessHandle.current().pid() + ")");
        }
        assertThat(file).doesNotExist();

        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Files.writeString(file, gone.pid() + "\n");
        try (Pidfile p = Pidfile.acquire(file, err)) {
            assertThat(notes.toString(StandardCharsets.UTF_8)).contains("Stale pidfile exists - Removing it.");
            assertThat(Files.readString(file)).isEqualTo(ProcessHandle.current().pid() + "\n");
        }
        Files.writeString(file, "garbage");
        try (Pidfile p = Pidfile.acquire(file, err)) {
            assertThat(notes.toString(StandardCharsets.UTF_8)).contains("Broken pidfile found - Removing it.");
        }
    }

    @Test
    void a_worker_refuses_to_start_on_a_live_pid_file_with_celerys_exit_code() throws Exception {
        Path file = dir.resolve("live.pid");
        Files.writeString(file, ProcessHandle.current().pid() + "\n");
        Captured c = Captured.run("worker", "--pidfile", file.toString(), "--broker", "memory://pid" + UUID.randomUUID());
        assertThat(c.exitCode()).isEqualTo(Pidfile.EX_CANTCREAT);
        assertThat(c.err()).contains("already exists.\nSeems we're already running? (pid: " + ProcessHandle.current().pid());
        assertThat(Files.readString(file)).isEqualTo(ProcessHandle.current().pid() + "\n");
    }

    private static WorkerCommand parseWorker(String... args) {
        List<String> all = new ArrayList<>(List.of("worker"));
        all.addAll(List.of(args));
        CommandLine.ParseResult pr = Main.commandLine().parseArgs(all.toArray(String[]::new));
        return (WorkerCommand) pr.subcommand().commandSpec().userObject();
    }

    @Test
    void worker_flags_become_the_settings_the_worker_reads_and_win_over_the_config() throws Exception {
        Path config = dir.resolve("celeryconfig.py");
        Files.writeString(config, "worker_autoscale = '2,1'\nworker_max_tasks_per_child = 7\n");
        WorkerCommand w = parseWorker("--autoscale", "10,3", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--max-tasks-per-child", "100", "--max-memory-per-child", "200000", "-O", "fair",
                "--time-limit", "300", "--soft-time-limit", "250", "-S", "/var/lib/celeriac/%n.state",
                "--config", config.toString());
        w.checkDaemonFlags();
        Celeriac.Builder b = w.connection.builder(getClass().getClassLoader()).set("broker_url",
                "memory://flags" + UUID.randomUUID());
        w.applyFlags(b);
        try (Celeriac app = b.build()) {
            Settings s = app.settings();
            assertThat(s.string("worker_autoscale", null)).isEqualTo("10,3");
            assertThat(s.bool("worker_without_gossip", false)).isTrue();
            assertThat(s.bool("worker_without_mingle", false)).isTrue();
            assertThat(s.bool("worker_without_heartbeat", false)).isTrue();
            assertThat(s.integer("worker_max_tasks_per_child", 0)).isEqualTo(100);
            assertThat(s.string("worker_state_db", null)).isEqualTo("/var/lib/celeriac/%n.state");
            assertThat(s.integer("worker_max_memory_per_child", 0)).isEqualTo(200000);
            assertThat(s.duration("task_time_limit", null)).hasSeconds(300);
            assertThat(s.duration("task_soft_time_limit", null)).hasSeconds(250);
        }
        WorkerCommand none = parseWorker();
        none.checkDaemonFlags();
        Celeriac.Builder nb = Celeriac.builder().configFile(config).set("broker_url", "memory://flags" + UUID.randomUUID());
        none.applyFlags(nb);
        try (Celeriac app = nb.build()) {
            assertThat(app.settings().string("worker_autoscale", null)).isEqualTo("2,1");
            assertThat(app.settings().raw("worker_without_gossip")).isEmpty();
        }
    }

    @Test
    void bad_daemon_flags_say_what_is_expected() {
        assertThat(WorkerCommand.normalizeAutoscale("10")).isEqualTo("10,0");
        assertThat(WorkerCommand.normalizeAutoscale(" 4 , 2")).isEqualTo("4,2");
        assertThatThrownBy(() -> WorkerCommand.normalizeAutoscale("3,10")).hasMessageContaining("0 <= MIN <= MAX");
        assertThatThrownBy(() -> WorkerCommand.normalizeAutoscale("ten")).hasMessageContaining("expected MAX,MIN");
        Captured o = Captured.run("worker", "-O", "greedy", "--broker", "memory://x" + UUID.randomUUID());
        assertThat(o.exitCode()).isEqualTo(Main.USAGE);
        assertThat(o.err()).contains("-O greedy: use fair or default");
        Captured m = Captured.run("worker", "--max-tasks-per-child", "0", "--broker", "memory://x" + UUID.randomUUID());
        assertThat(m.exitCode()).isEqualTo(Main.USAGE);
        assertThat(m.err()).contains("--max-tasks-per-child must be >= 1");
        Captured help = Captured.run("worker", "--help");
        assertThat(help.out()).contains("--logfile", "--pidfile", "--detach", "--autoscale", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "--max-tasks-per-child", "--max-memory-per-child",
                "always what -O fair gives prefork", "73");
    }

    @Test
    void celerys_global_options_before_the_command_are_moved_after_it() {
        CommandLine cl = Main.commandLine();
        assertThat(Main.globalOptionsMoved(cl, new String[] {"-A", "proj", "-b", "redis://x", "worker", "-c", "2"}))
                .containsExactly("worker", "-A=proj", "-b=redis://x", "-c", "2");
        assertThat(Main.globalOptionsMoved(cl, new String[] {"-A", "proj", "inspect", "ping"}))
                .containsExactly("inspect", "ping");
        assertThat(Main.globalOptionsMoved(cl, new String[] {"--app=proj", "multi", "start", "w1"}))
                .containsExactly("multi", "start", "w1", "--app=proj");
        assertThat(Main.globalOptionsMoved(cl, new String[] {"worker", "-A", "x"})).containsExactly("worker", "-A", "x");
    }

    @Test
    void multi_names_nodes_as_celery_and_applies_per_node_options() {
        String host = NodeNames.hostname();
        List<MultiCommand.Node> three = MultiCommand.cluster(new ArrayList<>(List.of("3", "-c", "3", "-c:1", "10",
                "--pidfile=/run/%n.pid", "-Q:2,3", "data")));
        assertThat(three).extracting(MultiCommand.Node::name)
                .containsExactly("celery1@" + host, "celery2@" + host, "celery3@" + host);
        assertThat(three.get(0).argv()).containsExactly("worker", "-n", "celery1@" + host, "--pidfile=/run/celery1.pid",
                "--logfile=/var/log/celeriac/celery1%I.log", "-c", "10");
        assertThat(three.get(2).argv()).contains("-c", "3", "-Q", "data");

        List<MultiCommand.Node> named = MultiCommand.cluster(new ArrayList<>(List.of("image", "video", "-c", "3",
                "-c:image", "10", "--hostname=worker.example.com", "-E")));
        assertThat(named).extracting(MultiCommand.Node::name)
                .containsExactly("image@worker.example.com", "video@worker.example.com");
        assertThat(named.get(0).argv()).containsSubsequence("-c", "10").contains("-E");
        assertThat(named.get(1).argv()).containsSubsequence("-c", "3");

        List<MultiCommand.Node> ranged = MultiCommand.cluster(new ArrayList<>(List.of("5", "-c", "3", "-c:1-3", "10",
                "--range-prefix=worker")));
        assertThat(ranged).extracting(n -> n.argv().get(n.argv().indexOf("-c") + 1))
                .containsExactly("10", "10", "10", "3", "3");
        assertThat(ranged.get(0).name()).isEqualTo("worker1@" + host);
        assertThatThrownBy(() -> MultiCommand.cluster(new ArrayList<>(List.of("2", "-c:5", "1"))))
                .hasMessageContaining("No node at index '5'");
    }

    @Test
    void multi_reads_celerys_signal_argument() {
        List<String> args = new ArrayList<>(List.of("w1", "-KILL", "--pidfile=/x/%n.pid"));
        assertThat(MultiCommand.findSignal(args)).isEqualTo(9);
        assertThat(args).containsExactly("w1", "--pidfile=/x/%n.pid");
        assertThat(MultiCommand.findSignal(new ArrayList<>(List.of("w1", "-2")))).isEqualTo(2);
        assertThat(MultiCommand.findSignal(new ArrayList<>(List.of("w1", "-c", "3")))).isEqualTo(15);
    }

    @Test
    void multi_names_get_show_and_expand_print_like_celery() {
        String host = NodeNames.hostname();
        assertThat(Captured.run("multi", "names", "w1", "w2").out()).isEqualTo("w1@" + host + "\nw2@" + host + "\n");
        Captured get = Captured.run("multi", "get", "w2@" + host, "w1", "w2", "-c", "2", "--pidfile=/p/%n.pid");
        assertThat(get.exitCode()).isZero();
        assertThat(get.out()).isEqualTo("worker -n w2@" + host + " --pidfile=/p/w2.pid --logfile=/var/log/celeriac/w2%I.log"
                + " -c 2\n");
        assertThat(Captured.run("multi", "get", "nobody@x", "w1").exitCode()).isEqualTo(1);
        assertThat(Captured.run("multi", "expand", "%n-%h", "w1").out()).isEqualTo("w1-w1@" + host + "\n");
        assertThat(Captured.run("multi", "show", "2").out()).startsWith("celeriac worker -n celery1@" + host);
        Captured help = Captured.run("multi", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("celeriac multi stopwait", "%n (short name)", "Exit codes:");
        assertThat(help.err()).doesNotContain("picocli WARN");
        Captured bad = Captured.run("multi", "frobnicate");
        assertThat(bad.exitCode()).isEqualTo(Main.USAGE);
        assertThat(bad.err()).contains("Invalid command: frobnicate");
        assertThat(bad.out()).contains("usage: celeriac multi start <node1 node2 nodeN|range> [worker options]");
    }
}
