package org.celeriac.core.beat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;

/**
 * A fixed interval ({@code celery.schedules.schedule(run_every)}): due when
 * {@code now - last_run_at >= every}.
 *
 * @param every the interval; positive
 */
public record Interval(Duration every) implements BeatSchedule {

    /** @throws IllegalArgumentException when {@code every} is not positive */
    public Interval {
        Objects.requireNonNull(every, "every");
        if (every.isZero() || every.isNegative()) {
            throw new IllegalArgumentException("a beat interval must be positive, was " + every);
        }
    }

    @Override
    public Instant nextAfter(Instant last, ZoneId zone) {
        return last.plus(every);
    }

    @Override
    public String toString() {
        return "<freq: " + every + ">";
    }
}
