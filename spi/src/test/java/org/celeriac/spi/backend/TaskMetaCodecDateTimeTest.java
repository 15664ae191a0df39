package org.celeriac.spi.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TaskMetaCodecDateTimeTest {

    @Test
    void celeryDateTimesParseAsUtcWhateverTheirForm() {
        Instant t = Instant.parse("2026-11-23T00:12:27.701748Z");
        // Celery's date_done: datetime.utcnow().isoformat(), naive UTC
        assertThat(TaskMetaCodec.parseDateTime("2026-11-23T00:12:27.701748")).isEqualTo(t);
        assertThat(TaskMetaCodec.parseDateTime("2026-11-23 00:12:27.701748")).isEqualTo(t);
        assertThat(TaskMetaCodec.parseDateTime("2026-11-23T00:12:27.701748+00:00")).isEqualTo(t);
        assertThat(TaskMetaCodec.parseDateTime("2026-11-23T00:12:27.701748Z")).isEqualTo(t);
        assertThat(TaskMetaCodec.parseDateTime("2026-11-23T02:12:27.701748+02:00")).isEqualTo(t);
        assertThat(TaskMetaCodec.parseDateTime("2026-11-23T00:12:27")).isEqualTo(Instant.parse("2026-11-23T00:12:27Z"));
        assertThat(TaskMetaCodec.parseDateTime(1.5)).isEqualTo(Instant.ofEpochSecond(1, 500_000_000));
        assertThat(TaskMetaCodec.parseDateTime(null)).isNull();
        // what the formatter writes reads back
        assertThat(TaskMetaCodec.parseDateTime(TaskMetaCodec.formatDateTime(t))).isEqualTo(t);
    }

    @Test
    void dateTimesAreWrittenAsPythonsIsoformat() {
        assertThat(TaskMetaCodec.formatDateTime(Instant.parse("2026-11-23T00:12:27.701748Z")))
                .isEqualTo("2026-11-23T00:12:27.701748");
        assertThat(TaskMetaCodec.formatDateTime(Instant.parse("2026-11-23T00:12:27.000042Z")))
                .isEqualTo("2026-11-23T00:12:27.000042");
        assertThat(TaskMetaCodec.formatDateTime(Instant.parse("2026-11-23T00:12:27.1Z")))
                .isEqualTo("2026-11-23T00:12:27.100000");
        assertThat(TaskMetaCodec.formatDateTime(Instant.parse("2026-11-23T00:12:27.000000999Z")))
                .as("no fraction when the microseconds are zero, as Python").isEqualTo("2026-11-23T00:12:27");
    }

    @Test
    void somethingElseIsRejectedWithWhatWasExpected() {
        assertThatThrownBy(() -> TaskMetaCodec.parseDateTime("yesterday"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'yesterday' is not an ISO-8601 date-time")
                .hasMessageContaining("naive UTC");
    }
}
