package org.celeriac.core.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures the log events of one logger (logback) while open. */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level oldLevel;

    private LogCapture(Class<?> type) {
        logger = (Logger) LoggerFactory.getLogger(type);
        oldLevel = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        appender.start();
        logger.addAppender(appender);
    }

    public static LogCapture of(Class<?> type) {
        return new LogCapture(type);
    }

    /** Formatted messages at {@code level} or above. */
    public List<String> messages(Level level) {
        return events().stream().filter(e -> e.getLevel().isGreaterOrEqual(level))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Formatted messages at exactly {@code level}. */
    public List<String> exactly(Level level) {
        return events().stream().filter(e -> e.getLevel().equals(level))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** A copy of what was logged (the appender appends under its own lock, from any thread). */
    private List<ILoggingEvent> events() {
        synchronized (appender) {
            return new java.util.ArrayList<>(appender.list);
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(oldLevel);
    }
}
