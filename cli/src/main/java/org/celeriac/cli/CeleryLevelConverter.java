package org.celeriac.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Prints logback levels with Python's {@code logging} names ({@code WARNING} rather than
 * {@code WARN}), as Celery's {@code %(levelname)s} does. Used by {@link LogbackConfigurator}'s pattern;
 * stateless and thread-safe.
 */
public final class CeleryLevelConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        Level level = event.getLevel();
        return switch (level.toInt()) {
            case Level.WARN_INT -> "WARNING";
            case Level.TRACE_INT -> "DEBUG";
            default -> level.toString();
        };
    }
}
