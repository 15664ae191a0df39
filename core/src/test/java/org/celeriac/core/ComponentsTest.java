package org.celeriac.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.junit.jupiter.api.Test;

class ComponentsTest {

    @Test
    void celerysBareBackendNamesBecomeUrls() {
        Settings none = Settings.of(Map.of());
        assertThat(Components.aliasToUrl("amqp", none)).isEqualTo("rpc://");
        assertThat(Components.aliasToUrl("rpc", none)).isEqualTo("rpc://");
        assertThat(Components.aliasToUrl("redis", none)).isEqualTo("redis://localhost:6379/0");
        assertThat(Components.aliasToUrl("mongodb", none)).isEqualTo("mongodb://localhost:27017/celery");
        assertThat(Components.aliasToUrl("mongodb", Settings.of(Map.of("mongodb_backend_settings",
                Map.of("host", "db1", "port", 27018, "database", "jobs"))))).isEqualTo("mongodb://db1:27018/jobs");
        assertThat(Components.aliasToUrl("redis://h:1/2", none)).isEqualTo("redis://h:1/2");
    }

    @Test
    void anUnknownBareNameSaysWhatIsAccepted() {
        assertThatThrownBy(() -> Components.aliasToUrl("cassandra", Settings.of(Map.of())))
                .isInstanceOf(ProviderException.class).hasMessageContaining("cassandra").hasMessageContaining("redis://");
    }
}
