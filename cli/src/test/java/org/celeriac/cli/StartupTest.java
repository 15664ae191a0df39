package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.awaitility.Awaitility;
import org.celeriac.core.config.EmbeddedDefault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Start-up work (issue #11): logback configured in code, picocli models built only for the command that runs, the
 * launcher's JVM defaults for worker and beat.
 */
class StartupTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    @Test
    void logback_is_configured_in_code_with_celerys_format_on_stderr() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender(LogbackConfigurator.CONSOLE)).as("the console appender of LogbackConfigurator")
                .isInstanceOf(ConsoleAppender.class);
        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) root.getAppender(LogbackConfigurator.CONSOLE);
        assertThat(console.getTarget()).isEqualTo("System.err");
        assertThat(ctx.getLogger("com.zaxxer.hikari").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(ctx.getLogger("org.hibernate").getLevel()).isEqualTo(Level.WARN);

        LoggingEvent event = new LoggingEvent(getClass().getName(), ctx.getLogger("celeriac.worker"), Level.WARN,
                "hello {}", null, new Object[] {"there"});
        event.setThreadName("MainProcess");
        String line = new String(((PatternLayoutEncoder) console.getEncoder()).encode(event), StandardCharsets.UTF_8);
        assertThat(line).matches("\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}: WARNING/MainProcess\\] hello there\\R");
    }

    @Test
    void only_the_command_that_runs_gets_a_picocli_model() {
        assertThat(Main.commandLine(new String[] {"worker", "-c", "2"}).getSubcommands()).containsOnlyKeys("worker");
        assertThat(Main.commandLine(new String[] {"-A", "proj", "--broker=redis://x", "beat"}).getSubcommands())
                .containsOnlyKeys("beat");
        List<String> all = List.of("worker", "call", "result", "demo", "tck", "inspect", "control", "status", "events",
                "beat", "purge", "multi", "help");
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help", "worker"},
                new String[] {"no-such-command"}, new String[] {"-A"})) {
            assertThat(Main.commandLine(args).getSubcommands().keySet()).as(String.join(" ", args))
                    .containsExactlyElementsOf(all);
        }
        Captured unknown = Captured.run("wrker");
        assertThat(unknown.exitCode()).isEqualTo(Main.USAGE);
        assertThat(unknown.err()).contains("wrker", "worker");
    }

    @Test
    void the_launcher_gives_worker_and_beat_small_jvm_defaults_unless_celeriac_java_opts_is_set() throws Exception {
        Path launcher = installedLauncher();

        String worker = run(launcher, Map.of(), "java-opts", "-A", "proj", "worker", "-c", "2");
        assertThat(worker.split(" ")).contains("-XX:+UseSerialGC", "-Xms8m",
                "-Dio.netty.allocator.type=unpooled", "-XX:+AutoCreateSharedArchive",
                "-XX:SharedArchiveFile=" + launcher.resolveSibling(".celeriac-build/lib-1/celeriac-worker.jsa"));
        // C1 only where C2's compiler thread would compete with the worker for one of two CPUs (nproc)
        if (nproc() <= 2) {
            assertThat(worker.split(" ")).contains("-XX:TieredStopAtLevel=1");
        } else {
            assertThat(worker).doesNotContain("TieredStopAtLevel");
        }
        assertThat(run(launcher, Map.of(), "java-opts", "beat")).contains("-XX:+UseSerialGC", "celeriac-beat.jsa");
        // one archive per broker scheme: an archive written by a Redis worker would cost a RabbitMQ worker memory
        Path lib = launcher.resolveSibling(".celeriac-build/lib-1");
        assertThat(run(launcher, Map.of(), "java-opts", "worker", "-b", "redis://:secret@h:6379/0").split(" "))
                .contains("-XX:SharedArchiveFile=" + lib.resolve("celeriac-worker-redis.jsa"));
        assertThat(run(launcher, Map.of(), "java-opts", "--broker=AMQP://guest:guest@h//", "worker").split(" "))
                .contains("-XX:SharedArchiveFile=" + lib.resolve("celeriac-worker-amqp.jsa"));
        assertThat(run(launcher, Map.of("CELERY_BROKER_URL", "sentinel://h:26379;sentinel://h2:26379"), "java-opts",
                "beat").split(" ")).contains("-XX:SharedArchiveFile=" + lib.resolve("celeriac-beat-sentinel.jsa"));
        assertThat(run(launcher, Map.of("CELERIAC_BROKER_URL", "sqla+postgresql://u@h/db"), "java-opts", "worker")
                .split(" ")).contains("-XX:SharedArchiveFile=" + lib.resolve("celeriac-worker-sqla+postgresql.jsa"));
        assertThat(run(launcher, Map.of(), "java-opts", "call", "tasks.add")).isBlank();
        assertThat(run(launcher, Map.of("CELERIAC_JAVA_OPTS", "-Xmx1g -XX:+UseG1GC"), "java-opts", "worker"))
                .isEqualTo("-Xmx1g -XX:+UseG1GC");
        assertThat(run(launcher, Map.of("CELERIAC_JAVA_OPTS", ""), "java-opts", "worker")).isBlank();

        // a class directory on the class path: the JVM could not write the archive, so the launcher does not ask
        Path classes = Files.createDirectories(launcher.resolveSibling(".celeriac-build/lib-1/classes"));
        Path cpFile = launcher.resolveSibling(".celeriac-build/classpath.txt");
        Files.writeString(cpFile, Files.readString(cpFile).strip() + ":" + classes + "\n");
        assertThat(run(launcher, Map.of(), "java-opts", "worker")).contains("-XX:+UseSerialGC")
                .doesNotContain("SharedArchive");
    }

    @Test
    void the_launcher_names_the_archive_after_the_broker_of_the_config_file() throws Exception {
        Path launcher = installedLauncher();
        Path lib = launcher.resolveSibling(".celeriac-build/lib-1");
        Path yaml = Files.writeString(dir.resolve("celeriac.yaml"), "result_backend: amqp://r\nbroker_url: redis://h:6379/0\n");
        Path py = Files.writeString(dir.resolve("celeryconfig.py"),
                "import os\nBROKER_URL = 'amqp://guest:guest@h//'\nbroker_url = \"sqla+postgresql://u@h/db\"\n");
        Path oldName = Files.writeString(dir.resolve("old.properties"), "BROKER_URL=amqp://g:g@h//\n");
        Path computed = Files.writeString(dir.resolve("computed.py"), "broker_url = os.environ['BROKER']\n");
        assertThat(archive(run(launcher, Map.of(), "java-opts", "worker", "--config", yaml.toString())))
                .isEqualTo(lib.resolve("celeriac-worker-redis.jsa").toString());
        // the new name beats Celery's old one in the same file, as CeleriacConfig takes them
        assertThat(archive(run(launcher, Map.of(), "java-opts", "--config=" + py, "worker")))
                .isEqualTo(lib.resolve("celeriac-worker-sqla+postgresql.jsa").toString());
        assertThat(archive(run(launcher, Map.of("CELERIAC_CONFIG", oldName.toString()), "java-opts", "beat")))
                .isEqualTo(lib.resolve("celeriac-beat-amqp.jsa").toString());
        // the command line and the environment win over the file, as in CeleriacConfig
        assertThat(archive(run(launcher, Map.of(), "java-opts", "worker", "-b", "amqp://h//", "--config", yaml.toString())))
                .isEqualTo(lib.resolve("celeriac-worker-amqp.jsa").toString());
        assertThat(archive(run(launcher, Map.of("CELERIAC_BROKER_URL", "amqp://h//"), "java-opts", "worker",
                "--config", yaml.toString()))).isEqualTo(lib.resolve("celeriac-worker-amqp.jsa").toString());
        // a value the launcher cannot read without Python, or a missing file: the command's archive
        assertThat(archive(run(launcher, Map.of(), "java-opts", "worker", "--config", computed.toString())))
                .isEqualTo(lib.resolve("celeriac-worker.jsa").toString());
        assertThat(archive(run(launcher, Map.of(), "java-opts", "worker", "--config", dir.resolve("none.yaml").toString())))
                .isEqualTo(lib.resolve("celeriac-worker.jsa").toString());
    }

    private static String archive(String javaOpts) {
        return java.util.Arrays.stream(javaOpts.split(" ")).filter(o -> o.startsWith("-XX:SharedArchiveFile="))
                .map(o -> o.substring("-XX:SharedArchiveFile=".length())).findFirst().orElse("(no archive)");
    }

    /**
     * The CPUs the launcher counts: {@code nproc} (affinity only; the JVM's count also honours a cgroup quota, so
     * the two can differ).
     */
    private static int nproc() throws Exception {
        Process p = new ProcessBuilder("nproc").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return out.matches("\\d+") ? Integer.parseInt(out) : 4; // the launcher's fallback without nproc
    }

    @Test
    void a_worker_started_by_the_launcher_writes_its_class_archive_on_exit_and_starts_again_from_it() throws Exception {
        Path launcher = installedLauncher();
        Path jsa = launcher.resolveSibling(".celeriac-build/lib-1/celeriac-worker.jsa");
        for (int start = 1; start <= 2; start++) {
            Path log = dir.resolve("worker" + start + ".log");
            ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "worker", "-A", "org.celeriac.examples.Tasks",
                    "-c", "2", "-n", "startup" + start + "@%h").redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().remove("CELERIAC_JAVA_OPTS");
            pb.environment().remove("CELERIAC_BROKER_URL");
            pb.environment().remove("CELERY_BROKER_URL");
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().put("CELERIAC_DATA_DIR", dir.resolve("data").toString());
            Process p = pb.start();
            try {
                Awaitility.await("the worker's 'ready.' line, start " + start).atMost(Duration.ofSeconds(60))
                        .failFast("the worker exited before it was ready", () -> !p.isAlive())
                        .until(() -> Files.readString(log).lines().anyMatch(l -> l.endsWith(" ready.")));
                p.destroy(); // SIGTERM: warm shutdown, then the JVM writes the archive
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            } finally {
                p.destroyForcibly();
                Files.readString(log).lines().forEach(l -> System.err.println("  worker | " + l));
            }
            String out = Files.readString(log);
            assertThat(out).as("no JVM warning about the flags or the archive").doesNotContain("[cds]", "VM warning");
            assertThat(jsa).as("the class archive after start " + start).isNotEmptyFile();
        }
    }

    @Test
    void the_workers_that_multi_starts_get_the_worker_defaults() throws Exception {
        Path launcher = installedLauncher();
        String url = EmbeddedDefault.at(dir.resolve("db")).url();
        Path pidfile = dir.resolve("multi/m1.pid");
        List<String> nodeArgs = List.of("m1", "--pidfile=" + dir.resolve("multi/%n.pid"),
                "--logfile=" + dir.resolve("multi/%n%I.log"), "-A", "org.celeriac.examples.Tasks", "--broker=" + url,
                "--result-backend=" + url, "-c", "1");
        List<String> start = new ArrayList<>(List.of("multi", "start"));
        start.addAll(nodeArgs);
        try {
            run(launcher, Map.of(), start.toArray(String[]::new));
            long pid = Long.parseLong(Files.readString(pidfile).strip());
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            assertThat(cmdline).contains("-XX:+UseSerialGC", "-Xms8m", "-Dio.netty.allocator.type=unpooled",
                    "-XX:SharedArchiveFile=" + launcher.resolveSibling(".celeriac-build/lib-1/celeriac-worker-jdbc.jsa"),
                    " worker -n m1@");
        } finally {
            List<String> stop = new ArrayList<>(List.of("multi", "stopwait"));
            stop.addAll(nodeArgs);
            run(launcher, Map.of(), stop.toArray(String[]::new));
        }
        assertThat(pidfile).doesNotExist();
    }

    /**
     * A copy of the {@code celeriac} launcher in a directory of its own whose {@code .celeriac-build} is up to date
     * and holds this test's class path, its class directories as jars in {@code lib-1/} (where the archive goes, as
     * the launcher's build copies first-party jars to a fresh {@code lib-*}), so it does not build.
     */
    private Path installedLauncher() throws Exception {
        Path home = dir.resolve("home");
        Path build = home.resolve(".celeriac-build");
        Path lib = build.resolve("lib-1");
        Files.createDirectories(lib);
        Path launcher = home.resolve("celeriac");
        Files.copy(REPO.resolve("celeriac"), launcher, StandardCopyOption.REPLACE_EXISTING);
        List<String> cp = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                Path jar = lib.resolve(cp.size() + "-" + p.getFileName() + ".jar");
                jar(p, jar);
                cp.add(0, jar.toString());
            } else {
                cp.add(entry);
            }
        }
        Files.writeString(build.resolve("classpath.txt"), String.join(":", cp) + "\n");
        Files.writeString(build.resolve("stamp"), "");
        return launcher;
    }

    private static void jar(Path classes, Path jar) throws Exception {
        try (var out = new JarOutputStream(Files.newOutputStream(jar)); var files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    private static String run(Path launcher, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("CELERIAC_JAVA_OPTS");
        pb.environment().remove("CELERIAC_BROKER_URL"); // they name the archive (one per broker scheme)
        pb.environment().remove("CELERY_BROKER_URL");
        pb.environment().remove("CELERIAC_CONFIG");
        pb.environment().putAll(env);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
