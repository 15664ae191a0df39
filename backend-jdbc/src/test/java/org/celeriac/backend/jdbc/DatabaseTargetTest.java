package org.celeriac.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatabaseTargetTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "db+postgresql://scott:tiger@db.example:5433/results?sslmode=require | jdbc:postgresql://db.example:5433/results?sslmode=require | POSTGRESQL",
        "db+postgresql+psycopg2://scott:tiger@db.example/results              | jdbc:postgresql://db.example:5432/results                 | POSTGRESQL",
        "db+mysql://scott:tiger@localhost/celery                              | jdbc:mysql://localhost:3306/celery                        | MYSQL",
        "db+mysql+pymysql://scott:tiger@h:3307/celery                         | jdbc:mysql://h:3307/celery                                | MYSQL",
        "db+mariadb://scott:tiger@h/celery                                    | jdbc:mariadb://h:3306/celery                              | MYSQL",
        "db+sqlite:///results.sqlite                                          | jdbc:sqlite:results.sqlite                                | SQLITE",
        "db+sqlite:////var/lib/celery/results.sqlite                          | jdbc:sqlite:/var/lib/celery/results.sqlite                | SQLITE",
    })
    void celery_sqlalchemy_urls_become_jdbc_urls_with_credentials_for_the_pool(String celery, String jdbc, Vendor vendor) {
        DatabaseTarget t = DatabaseTarget.of(ConnectionUrl.parse(celery));
        assertThat(t.jdbcUrl()).isEqualTo(jdbc);
        assertThat(t.vendor()).isEqualTo(vendor);
        assertThat(t.celeryScheme()).isTrue();
        if (vendor != Vendor.SQLITE) {
            assertThat(t.user()).isEqualTo("scott");
            assertThat(t.password()).isEqualTo("tiger");
            assertThat(t.jdbcUrl()).doesNotContain("tiger");
        }
        assertThat(t.toString()).doesNotContain("tiger");
    }

    @Test
    void jdbc_urls_are_used_as_given_and_print_masked() {
        ConnectionUrl url = ConnectionUrl.parse("jdbc:h2:file:/data/celeriac;AUTO_SERVER=TRUE;USER=celeriac;PASSWORD=Xy9-secret");
        DatabaseTarget t = DatabaseTarget.of(url);
        assertThat(t.jdbcUrl()).isEqualTo(url.unmasked());
        assertThat(t.user()).isNull();
        assertThat(t.vendor()).isEqualTo(Vendor.H2);
        assertThat(t.h2AutoServer()).isTrue();
        assertThat(t.celeryScheme()).isFalse();
        assertThat(t.toString()).doesNotContain("Xy9-secret").contains("PASSWORD=***");
    }

    @Test
    void scrub_removes_secrets_from_driver_messages_and_exception_chains() {
        DatabaseTarget t = DatabaseTarget.of(ConnectionUrl.parse("jdbc:h2:file:/x;USER=u;PASSWORD=Xy9-secret"));
        assertThat(t.scrub("Failed for jdbcUrl=jdbc:h2:file:/x;USER=u;PASSWORD=Xy9-secret (Xy9-secret)"))
                .doesNotContain("Xy9-secret");
        Throwable chain = new RuntimeException("outer", new IllegalStateException("inner Xy9-secret"));
        Throwable scrubbed = t.scrub(chain);
        assertThat(scrubbed.getCause().getMessage()).doesNotContain("Xy9-secret").contains("IllegalStateException");
        Throwable clean = new RuntimeException("nothing secret here");
        assertThat(t.scrub(clean)).isSameAs(clean);
    }

    @Test
    void unsupported_dialects_and_missing_databases_are_explained_without_the_password() {
        assertThatThrownBy(() -> DatabaseTarget.of(ConnectionUrl.parse("db+oracle://scott:tiger@h/orcl")))
                .isInstanceOf(ProviderException.class)
                .hasMessageContaining("dialect 'oracle'").hasMessageContaining("db+postgresql://")
                .hasMessageNotContaining("tiger");
        assertThatThrownBy(() -> DatabaseTarget.of(ConnectionUrl.parse("db+postgresql://scott:tiger@h")))
                .isInstanceOf(ProviderException.class).hasMessageContaining("names no database")
                .hasMessageNotContaining("tiger");
        assertThatThrownBy(() -> DatabaseTarget.of(ConnectionUrl.parse("jdbc:nothing")))
                .isInstanceOf(ProviderException.class).hasMessageContaining("not a JDBC URL");
    }
}
