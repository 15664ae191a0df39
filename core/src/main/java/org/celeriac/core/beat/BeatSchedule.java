package org.celeriac.core.beat;

import java.time.Instant;
import java.time.ZoneId;

/**
 * When a periodic task runs next: an {@link Interval} ({@code celery.schedules.schedule}, a
 * {@code timedelta}) or a {@link Crontab}. Implementations are immutable and thread-safe.
 */
public sealed interface BeatSchedule permits Interval, Crontab {

    /**
     * The next run after the run at {@code last}; the entry is due when this is not after now.
     *
     * @param last when the entry last ran (or was first seen); non-null
     * @param zone the app's time zone ({@code timezone} setting), used by crontabs
     */
    Instant nextAfter(Instant last, ZoneId zone);
}
