package org.celeriac.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ch.qos.logback.classic.Level;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedDefaultTest {

    @TempDir
    Path tmp;

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    @Test
    void the_directory_is_the_setting_then_celeriac_data_dir_then_xdg_then_home() {
        Path home = tmp.resolve("home");
        Settings none = Settings.of(Map.of());
        assertThat(EmbeddedDefault.resolveDirectory(none, Map.of(), home))
                .isEqualTo(home.resolve(".local/share/celeriac").toAbsolutePath());
        assertThat(EmbeddedDefault.resolveDirectory(none, Map.of("XDG_DATA_HOME", "/xdg"), home))
                .isEqualTo(Path.of("/xdg/celeriac"));
        assertThat(EmbeddedDefault.resolveDirectory(none, Map.of("XDG_DATA_HOME", "/xdg", "CELERIAC_DATA_DIR", "/env"),
                home)).isEqualTo(Path.of("/env"));
        Settings setting = Settings.of(Map.of(CeleriacConfig.DATA_DIR, "/set"));
        assertThat(EmbeddedDefault.resolveDirectory(setting, Map.of("CELERIAC_DATA_DIR", "/env"), home))
                .isEqualTo(Path.of("/set"));
        CeleriacConfig fromEnv = CeleriacConfig.builder().environment(Map.of("CELERIAC_DATA_DIR", "/from-env"))
                .systemProperties(new java.util.Properties()).build();
        assertThat(EmbeddedDefault.resolveDirectory(fromEnv, Map.of(), home)).isEqualTo(Path.of("/from-env"));
    }

    @Test
    void the_url_points_at_an_h2_file_with_a_generated_password_kept_private() throws Exception {
        Path dir = tmp.resolve("data/celeriac");
        EmbeddedDefault e = EmbeddedDefault.at(dir);
        String url = e.url();
        String pw = e.password();
        assertThat(pw).matches("[A-Za-z0-9_-]{32}");
        assertThat(url).isEqualTo("jdbc:h2:file:" + dir.toAbsolutePath() + "/celeriac;AUTO_SERVER=TRUE;USER=celeriac;PASSWORD="
                + pw);
        assertThat(ConnectionUrl.parse(url).scheme()).isEqualTo("jdbc");
        assertThat(e.maskedUrl()).doesNotContain(pw).endsWith(";PASSWORD=***");
        assertThat(e.databaseFile()).isEqualTo(dir.toAbsolutePath().resolve("celeriac.mv.db"));
        assertThat(Files.readString(dir.resolve("credentials"))).contains("password=" + pw + "\n");
        if (posix()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("credentials"))))
                    .isEqualTo("rw-------");
        }
        assertThat(EmbeddedDefault.at(dir).url()).as("a second process reads the same password").isEqualTo(url);
        assertThat(EmbeddedDefault.at(tmp.resolve("other")).password()).isNotEqualTo(pw);
    }

    @Test
    void concurrent_first_runs_agree_on_one_password() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                Path dir = tmp.resolve("race-" + round);
                CyclicBarrier start = new CyclicBarrier(4);
                List<Future<String>> urls = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    urls.add(pool.submit(() -> {
                        start.await();
                        return EmbeddedDefault.at(dir).url();
                    }));
                }
                Set<String> distinct = new HashSet<>();
                for (Future<String> f : urls) {
                    distinct.add(f.get());
                }
                assertThat(distinct).as("round " + round).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void logging_the_location_never_shows_the_password() {
        EmbeddedDefault e = EmbeddedDefault.at(tmp.resolve("log"));
        String pw = e.password();
        try (LogCapture log = LogCapture.of(EmbeddedDefault.class)) {
            e.logLocation();
            assertThat(log.exactly(Level.INFO)).singleElement().asString()
                    .contains(e.databaseFile().toString(), "PASSWORD=***").doesNotContain(pw);
        }
        assertThat(e.toString()).doesNotContain(pw);
    }

    @Test
    void a_credentials_file_readable_by_others_is_warned_about() throws Exception {
        assumeThat(posix()).isTrue();
        Path dir = tmp.resolve("open");
        EmbeddedDefault.at(dir).password();
        Files.setPosixFilePermissions(dir.resolve("credentials"), PosixFilePermissions.fromString("rw-r--r--"));
        try (LogCapture log = LogCapture.of(EmbeddedDefault.class)) {
            EmbeddedDefault.at(dir).password();
            assertThat(log.exactly(Level.WARN)).singleElement().asString().contains("chmod 600");
        }
    }

    @Test
    void temporary_databases_are_fresh_each_time() {
        EmbeddedDefault a = EmbeddedDefault.temporary();
        EmbeddedDefault b = EmbeddedDefault.temporary();
        try {
            assertThat(a.directory()).isNotEqualTo(b.directory()).exists();
            assertThat(a.url()).isNotEqualTo(b.url());
        } finally {
            deleteQuietly(a.directory());
            deleteQuietly(b.directory());
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort
        }
    }
}
