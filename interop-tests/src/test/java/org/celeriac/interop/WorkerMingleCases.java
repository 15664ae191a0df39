package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Mingle ends when every listener has replied (issue #11) where the transport can count the listeners: a worker
 * alone does not wait Celery's one-second window, on Redis ({@code PUBLISH}'s reply is 0) and on RabbitMQ (the
 * mandatory {@code hello} comes back: no queue is bound to {@code celery.pidbox}). Each transport's class adds what
 * happens next to another worker. On a broker no other worker uses (a private {@code redis-server}, a fresh
 * virtual host). The figures come from mingle's own DEBUG record (receivers, replies, whether all replied, elapsed
 * ms), not from timing the start around it.
 */
abstract class WorkerMingleCases {
    @TempDir
    Path dir;

    protected final List<AutoCloseable> resources = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger mingleLog = (Logger) LoggerFactory.getLogger("celeriac.worker.mingle");
    private Level oldLevel;
    private String url;

    /** A broker URL nobody else uses; what it starts goes into {@link #resources}. */
    protected abstract String privateBroker() throws Exception;

    @BeforeEach
    void start() throws Exception {
        url = privateBroker();
        oldLevel = mingleLog.getLevel();
        mingleLog.setLevel(Level.DEBUG);
        log.start();
        mingleLog.addAppender(log);
    }

    @AfterEach
    void stop() throws Exception {
        mingleLog.detachAppender(log);
        mingleLog.setLevel(oldLevel);
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    protected Celeriac app() {
        Celeriac app = Celeriac.builder().set("broker_url", url).registry(TaskRegistry.of(List.of())).build();
        resources.add(app);
        return app;
    }

    protected Worker worker(Celeriac app, String name) {
        Worker w = new Worker(app, new Worker.Options(name + "@%h", List.of(Interop.uniqueQueue("mingle")), 1,
                Worker.Pool.THREADS, 1));
        resources.add(w);
        w.start(); // mingle runs inside, before consuming
        return w;
    }

    /** The arguments of mingle's DEBUG record for the last start: receivers, replies, all replied, elapsed ms. */
    protected Object[] outcome() {
        List<ILoggingEvent> records = Interop.logged(log).stream()
                .filter(e -> e.getMessage().startsWith("mingle: hello reached")).toList();
        assertThat(records).as("mingle's outcome record").isNotEmpty();
        return records.get(records.size() - 1).getArgumentArray();
    }

    protected List<String> messages() {
        return Interop.logged(log).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void a_worker_alone_ends_mingle_at_once() {
        worker(app(), "alone");
        Object[] o = outcome();
        assertThat(o[0]).isEqualTo(0); // nobody else listens on celery.pidbox
        assertThat(o[1]).isEqualTo(0);
        assertThat(o[2]).isEqualTo(true);
        assertThat((Long) o[3]).isLessThan(500L); // the window is 1,000 ms; sending and the count take a few ms
        assertThat(messages()).contains("mingle: all alone");
    }

    /** Tells worker {@code a} (of {@code appA}) to revoke a new id, and returns that id. */
    protected String firstWorkerWithARevoke(Celeriac appA, Worker a) {
        String revokedId = "revoked-" + UUID.randomUUID();
        ControlClient control = new ControlClient(appA);
        resources.add(control);
        ControlOptions toA = ControlOptions.defaults().withDestination(List.of(a.nodeName()))
                .withTimeout(Duration.ofSeconds(5));
        assertThat(control.call("revoke", Map.of("task_id", revokedId), toA)).containsKey(a.nodeName());
        return revokedId;
    }

    /** The revoked ids {@code b} reports. */
    protected List<Object> revokedOf(Celeriac app, Worker b) {
        ControlClient control = new ControlClient(app);
        resources.add(control);
        ControlOptions toB = ControlOptions.defaults().withDestination(List.of(b.nodeName()))
                .withTimeout(Duration.ofSeconds(5));
        @SuppressWarnings("unchecked")
        List<Object> ids = (List<Object>) control.call("revoked", Map.of(), toB).get(b.nodeName());
        return ids;
    }
}
