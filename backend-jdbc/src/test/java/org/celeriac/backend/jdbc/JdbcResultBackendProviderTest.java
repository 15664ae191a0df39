package org.celeriac.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class JdbcResultBackendProviderTest {

    @Test
    void is_found_by_the_service_loader_with_its_schemes_and_artifact() {
        ResultBackendProvider p = ServiceLoader.load(ResultBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(x -> x.name().equals("jdbc")).findFirst().orElseThrow();
        assertThat(p).isInstanceOf(JdbcResultBackendProvider.class);
        assertThat(p.schemes()).contains("jdbc", "db+postgresql", "db+postgresql+psycopg2", "db+mysql", "db+mariadb",
                "db+sqlite");
        assertThat(p.artifact()).isEqualTo("org.celeriac:celeriac-backend-jdbc");
    }

    @Test
    void a_celery_db_url_warns_once_that_python_peers_cannot_share_the_tables() {
        Logger log = (Logger) LoggerFactory.getLogger(JdbcResultBackendProvider.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        log.addAppender(events);
        try {
            for (int i = 0; i < 2; i++) {
                // no SQLite driver on this class path: the create fails at once, after the warning
                assertThatThrownBy(() -> new JdbcResultBackendProvider().create(
                        ConnectionUrl.parse("db+sqlite:////tmp/celeriac-no-driver.db"), Settings.of(Map.of()),
                        TestBackends.context()))
                        .isInstanceOf(ResultBackendException.class)
                        .hasMessageContaining("org.xerial:sqlite-jdbc");
            }
        } finally {
            log.detachAppender(events);
        }
        assertThat(events.list).filteredOn(e -> e.getLevel() == Level.WARN).hasSize(1).first()
                .satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("celeriac_", "celery_taskmeta", "jdbc:sqlite:/tmp/celeriac-no-driver.db"));
    }

    @Test
    void a_wrong_password_fails_fast_and_is_never_shown(@TempDir Path dir) {
        TestBackends.open(dir).close();
        String wrong = TestBackends.url(dir).replace(TestBackends.PASSWORD, "Wr0ng-pass");
        long start = System.nanoTime();
        assertThatThrownBy(() -> TestBackends.open(wrong, Map.of()))
                .isInstanceOf(ResultBackendException.class)
                .hasMessageContaining("check the user and password")
                .hasMessageContaining("PASSWORD=***")
                .hasMessageNotContaining("Wr0ng-pass");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void invalid_settings_are_reported_with_the_setting_name(@TempDir Path dir) {
        assertThatThrownBy(() -> TestBackends.open(dir, Map.of("database_engine_options", Map.of("pool_size", "many"))))
                .hasMessageContaining("pool_size").hasMessageNotContaining(TestBackends.PASSWORD);
    }
}
