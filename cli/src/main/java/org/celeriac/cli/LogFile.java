package org.celeriac.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.celeriac.api.CeleriacException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --logfile}: the log goes to a file instead of stderr (Celery's {@code celery.app.log.setup}), in the
 * same format, appended; SIGHUP reopens it so that logrotate can move it away ({@code postrotate kill -HUP}, or
 * {@code systemctl reload}). Thread-safe: {@link #reopen()} swaps the stream under the appender's lock.
 */
final class LogFile {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.log");
    private static final String APPENDER = "LOGFILE";

    private final Path path;
    private FileAppender<ILoggingEvent> appender;

    private LogFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    /**
     * Sends the root logger to {@code file} (creating its directories) instead of the console, and reopens it
     * on SIGHUP. Call once, at start-up.
     *
     * @throws CeleriacException when the file cannot be created or written, naming it
     */
    static LogFile open(Path file) {
        Path path = file.toAbsolutePath().normalize();
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            if (!Files.exists(path)) {
                Files.createFile(path);
            }
            if (!Files.isWritable(path)) {
                throw new IOException("not writable");
            }
        } catch (IOException e) {
            throw new CeleriacException("--logfile " + path + ": cannot write it (" + e.getMessage()
                    + "); choose a writable path", e);
        }
        LogFile lf = new LogFile(path);
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext)) {
            LOG.warn("--logfile {} ignored: the logging backend is not logback", path);
            return lf;
        }
        lf.attach();
        ch.qos.logback.classic.Logger root = root();
        Appender<ILoggingEvent> console = root.getAppender(LogbackConfigurator.CONSOLE);
        if (console != null) {
            root.detachAppender(console);
            console.stop();
        }
        lf.handleHangup();
        return lf;
    }

    private static ch.qos.logback.classic.Logger root() {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    /**
     * Closes the file and opens it again at the same path (a new file when it was moved away), under the
     * appender's lock, so no event is lost or split.
     */
    synchronized void reopen() {
        if (appender == null) {
            return;
        }
        try {
            appender.openFile(path.toString());
            LOG.info("log file {} reopened (SIGHUP)", path);
        } catch (IOException e) {
            LOG.error("log file {}: cannot reopen it ({}); logging goes on to the old file", path, e.toString());
        }
    }

    private void attach() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = LogbackConfigurator.encoder(ctx);
        FileAppender<ILoggingEvent> fa = new FileAppender<>();
        fa.setContext(ctx);
        fa.setName(APPENDER);
        fa.setFile(path.toString());
        fa.setAppend(true);
        fa.setEncoder(encoder);
        fa.start();
        root().addAppender(fa);
        appender = fa;
    }

    private void handleHangup() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> reopen());
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            LOG.warn("SIGHUP will not reopen {}: {}", path, e.toString());
        }
    }
}
