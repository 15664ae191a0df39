package org.celeriac.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConnectionUrlTest {

    @Test
    void parsesKombuStyleUrls() {
        ConnectionUrl u = ConnectionUrl.parse("amqp://guest:s3cret@localhost:5672//");
        assertThat(u.scheme()).isEqualTo("amqp");
        assertThat(u.user()).contains("guest");
        assertThat(u.password()).contains("s3cret");
        assertThat(u.host("x", 1)).isEqualTo(new ConnectionUrl.Host("localhost", 5672));
        assertThat(u.path()).isEqualTo("/");
        ConnectionUrl r = ConnectionUrl.parse("redis://localhost:6379/1?visibility_timeout=10");
        assertThat(r.path()).isEqualTo("1");
        assertThat(r.query()).containsEntry("visibility_timeout", "10");
        assertThat(ConnectionUrl.parse("memory://").hosts()).isEmpty();
    }

    @Test
    void severalSentinelHostsEachWithTheirScheme() {
        ConnectionUrl u = ConnectionUrl.parse("sentinel://h1:26379;sentinel://h2:26380/0");
        assertThat(u.hosts()).containsExactly(new ConnectionUrl.Host("h1", 26379), new ConnectionUrl.Host("h2", 26380));
        assertThat(u.path()).isEqualTo("0");
    }

    @Test
    void celerysSentinelFormWithAPathOnEveryHost() {
        ConnectionUrl u = ConnectionUrl.parse("sentinel://a:26379/3;sentinel://b:26379/3");
        assertThat(u.hosts()).containsExactly(new ConnectionUrl.Host("a", 26379), new ConnectionUrl.Host("b", 26379));
        assertThat(u.path()).isEqualTo("3");
        ConnectionUrl p = ConnectionUrl.parse("sentinel://:s3cret@a:26379/2?ssl_cert_reqs=required;"
                + "sentinel://:s3cret@b:26380/2?ssl_cert_reqs=required, sentinel://c/2");
        assertThat(p.hosts()).containsExactly(new ConnectionUrl.Host("a", 26379), new ConnectionUrl.Host("b", 26380),
                new ConnectionUrl.Host("c", -1));
        assertThat(p.password()).contains("s3cret");
        assertThat(p.user()).isEmpty();
        assertThat(p.path()).isEqualTo("2");
        assertThat(p.query()).containsExactly(java.util.Map.entry("ssl_cert_reqs", "required"));
        assertThat(p.toString()).doesNotContain("s3cret");
    }

    @Test
    void theFirstSentinelPartThatNamesAPathOrPasswordGivesIt() {
        ConnectionUrl u = ConnectionUrl.parse("sentinel://a:26379;sentinel://u:pw@b:26379/5");
        assertThat(u.path()).isEqualTo("5");
        assertThat(u.user()).contains("u");
        assertThat(u.password()).contains("pw");
        assertThat(ConnectionUrl.parse("redis://h1:6379,h2:6380/1").hosts()).hasSize(2);
        assertThatThrownBy(() -> ConnectionUrl.parse("sentinel://a:26379/0;sentinel://:pw@b:x/0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port 'x'")
                .hasMessageNotContaining(":pw@");
    }

    @Test
    void opaqueJdbcUrlsKeepTheirText() {
        ConnectionUrl u = ConnectionUrl.parse("jdbc:h2:file:/tmp/x;AUTO_SERVER=TRUE;PASSWORD=hunter2");
        assertThat(u.scheme()).isEqualTo("jdbc");
        assertThat(u.isOpaque()).isTrue();
        assertThat(u.schemeSpecificPart()).startsWith("h2:file:/tmp/x");
        assertThat(u.toString()).doesNotContain("hunter2").contains("PASSWORD=***");
    }

    @Test
    void passwordsNeverPrint() {
        assertThat(ConnectionUrl.parse("redis://:pw123@h:6379/0").toString()).doesNotContain("pw123");
        assertThat(ConnectionUrl.parse("amqp://u:pw123@h//").toString()).isEqualTo("amqp://u:***@h//");
        assertThatThrownBy(() -> ConnectionUrl.parse("amqp://u:pw123@h:notaport//"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw123");
        assertThatThrownBy(() -> ConnectionUrl.parse("no scheme pw123"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
