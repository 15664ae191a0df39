package org.celeriac.backend.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL wake-ups for {@code whenReady}: one connection outside the pool {@code LISTEN}s on
 * {@value #CHANNEL}, which every backend {@code NOTIFY}s after committing a ready state; each notification
 * (and each reconnection) nudges the shared {@link ReadyPoller}, which then polls at once instead of at
 * the end of its interval. Polling stays the source of truth (a lost notification only costs latency).
 * One platform thread; reconnects with back-off. Thread-safe.
 */
final class PgResultListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgResultListener.class);
    static final String CHANNEL = "celeriac_result";
    private static final int WAIT_MILLIS = 250;

    private final DatabaseTarget target;
    private final Runnable onNotification;
    private final Thread thread;
    private volatile boolean closed;

    PgResultListener(DatabaseTarget target, Runnable onNotification) {
        this.target = target;
        this.onNotification = onNotification;
        this.thread = Thread.ofPlatform().daemon().name("celeriac-backend-jdbc-listen").unstarted(this::loop);
        thread.start();
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        if (target.user() != null) {
            p.setProperty("user", target.user());
        }
        if (target.password() != null) {
            p.setProperty("password", target.password());
        }
        p.setProperty("ApplicationName", "celeriac-backend-jdbc-listen");
        Connection c = DriverManager.getConnection(target.driverUrl(), p);
        try (Statement s = c.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        }
        return c;
    }

    private void loop() {
        long backoff = 100;
        while (!closed) {
            try (Connection c = connect()) {
                backoff = 100;
                onNotification.run(); // anything stored while we were not listening
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    var ns = pg.getNotifications(WAIT_MILLIS);
                    if (ns != null && ns.length > 0) {
                        onNotification.run();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!closed) {
                    LOG.warn("PostgreSQL LISTEN connection of the result backend {} failed (polling meanwhile; "
                            + "retrying in {} ms): {}", target.masked(), backoff, target.scrub(Database.rootMessage(e)));
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException ie) {
                        return;
                    }
                    backoff = Math.min(backoff * 2, 5_000);
                }
            }
        }
    }

    /** Stops listening; blocks up to about {@value #WAIT_MILLIS} ms. Idempotent. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
