package org.celeriac.transport.sql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL wake-ups: one connection outside the pool that {@code LISTEN}s on {@value #MESSAGES} (payload
 * {@code <queue>\t<not_before ms>}) and {@value #BROADCASTS} (payload: the exchange), which the publish
 * writer {@code NOTIFY}s inside its insert transaction (PostgreSQL delivers notifications at commit). One
 * platform thread per broker waits in {@link PGConnection#getNotifications(int)} and calls back; on a
 * failure it reconnects with back-off, and {@link #healthy()} is false meanwhile (consumers then poll at
 * the polling interval). Thread-safe.
 */
final class PgListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgListener.class);
    static final String MESSAGES = "celeriac_message";
    static final String BROADCASTS = "celeriac_broadcast";
    private static final int WAIT_MILLIS = 250;

    /** Receives notifications on the listener thread; must not block. */
    interface Callback {
        void message(String queue, long notBefore);

        void broadcast(String exchange);

        /** The connection was (re)established: anything may have been missed meanwhile. */
        void reconnected();
    }

    private final JdbcTarget target;
    private final Callback callback;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean healthy;
    private volatile Connection connection;

    PgListener(JdbcTarget target, Callback callback) {
        this.target = target;
        this.callback = callback;
        this.thread = Thread.ofPlatform().daemon().name("celeriac-sql-listen").unstarted(this::loop);
        thread.start();
    }

    /** True while LISTEN is in place, so publishes of other processes wake this broker at once. */
    boolean healthy() {
        return healthy;
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        if (target.user() != null) {
            p.setProperty("user", target.user());
        }
        if (target.password() != null) {
            p.setProperty("password", target.password());
        }
        p.setProperty("ApplicationName", "celeriac-sql-listen");
        Connection c = DriverManager.getConnection(target.driverUrl(), p);
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute("LISTEN " + MESSAGES);
            s.execute("LISTEN " + BROADCASTS);
        }
        return c;
    }

    private void loop() {
        long backoff = 100;
        while (!closed) {
            try {
                Connection c = connect();
                connection = c;
                healthy = true;
                backoff = 100;
                callback.reconnected();
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] ns = pg.getNotifications(WAIT_MILLIS);
                    if (ns == null) {
                        continue;
                    }
                    for (PGNotification n : ns) {
                        dispatch(n);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                healthy = false;
                if (!closed) {
                    LOG.warn("PostgreSQL LISTEN connection to {} failed (consumers poll meanwhile; retrying in {} ms): {}",
                            target.maskedUrl(), backoff, Database.message(e));
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, 5_000);
                }
            } finally {
                healthy = false;
                closeConnection();
            }
        }
    }

    private void dispatch(PGNotification n) {
        try {
            if (n.getName().equals(MESSAGES)) {
                String payload = n.getParameter();
                int tab = payload.lastIndexOf('\t');
                if (tab < 0) {
                    callback.message(payload, 0);
                } else {
                    callback.message(payload.substring(0, tab), Long.parseLong(payload.substring(tab + 1)));
                }
            } else if (n.getName().equals(BROADCASTS)) {
                callback.broadcast(n.getParameter());
            }
        } catch (RuntimeException e) {
            LOG.debug("Ignoring notification {} / {}: {}", n.getName(), n.getParameter(), e.toString());
        }
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    private void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Stops listening; blocks up to about {@value #WAIT_MILLIS} ms for the thread. Idempotent. */
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
