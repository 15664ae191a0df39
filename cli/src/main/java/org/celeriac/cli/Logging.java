package org.celeriac.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.Locale;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Celery's {@code -l/--loglevel} names mapped onto logback. Not thread-safe; called once at start-up. */
final class Logging {
    private Logging() {
    }

    /**
     * Parses Celery's level names: {@code debug}, {@code info}, {@code warning} (or {@code warn}),
     * {@code error}, {@code critical}/{@code fatal}; case-insensitive.
     *
     * @throws IllegalArgumentException for any other name, listing the accepted ones
     */
    static Level parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.DEBUG;
            case "info" -> Level.INFO;
            case "warning", "warn" -> Level.WARN;
            case "error", "critical", "fatal" -> Level.ERROR;
            default -> throw new IllegalArgumentException("unknown log level '" + name
                    + "'; use debug, info, warning, error or critical");
        };
    }

    /** Sets the root logger's level (third-party loggers set by {@link LogbackConfigurator} keep theirs). */
    static void setRootLevel(Level level) {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(level);
        }
    }

    /** picocli converter for {@code -l}. */
    static final class LevelConverter implements ITypeConverter<Level> {
        @Override
        public Level convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
