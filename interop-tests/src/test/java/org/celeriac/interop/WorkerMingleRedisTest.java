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
 * Mingle on Redis ends when every listener has replied (issue #11): Redis's {@code PUBLISH} reply tells how many
 * workers got the {@code hello}, so a worker alone does not wait Celery's one-second window, and a worker next to
 * another one stops as soon as that one replied, still taking over its revoked ids. On a private
 * {@code redis-server}, so no other worker listens on the pidbox. The figures come from mingle's own DEBUG record
 * (receivers, replies, whether all replied, elapsed ms), not from timing the start around it.
 */
class WorkerMingleRedisTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger mingleLog = (Logger) LoggerFactory.getLogger("celeriac.worker.mingle");
    private Level oldLevel;
    private String url;

    @BeforeEach
    void start() throws Exception {
        PrivateRedis redis = PrivateRedis.start(dir);
        resources.add(redis);
        url = redis.url(0);
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

    private Celeriac app() {
        Celeriac app = Celeriac.builder().set("broker_url", url).registry(TaskRegistry.of(List.of())).build();
        resources.add(app);
        return app;
    }

    private Worker worker(Celeriac app, String name) {
        Worker w = new Worker(app, new Worker.Options(name + "@%h", List.of(Interop.uniqueQueue("mingle")), 1,
                Worker.Pool.THREADS, 1));
        resources.add(w);
        w.start(); // mingle runs inside, before consuming
        return w;
    }

    /** The arguments of mingle's DEBUG record for the last start: receivers, replies, all replied, elapsed ms. */
    private Object[] outcome() {
        List<ILoggingEvent> records = log.list.stream()
                .filter(e -> e.getMessage().startsWith("mingle: hello reached")).toList();
        assertThat(records).as("mingle's outcome record").isNotEmpty();
        return records.get(records.size() - 1).getArgumentArray();
    }

    private List<String> messages() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
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

    @Test
    void a_second_worker_ends_mingle_once_the_first_replied_and_takes_over_its_revokes() {
        Celeriac appA = app();
        Worker a = worker(appA, "first");
        String revokedId = "revoked-" + UUID.randomUUID();
        ControlClient control = new ControlClient(appA);
        resources.add(control);
        ControlOptions toA = ControlOptions.defaults().withDestination(List.of(a.nodeName()))
                .withTimeout(Duration.ofSeconds(5));
        assertThat(control.call("revoke", Map.of("task_id", revokedId), toA)).containsKey(a.nodeName());

        Worker b = worker(app(), "second");
        Object[] o = outcome();
        assertThat(o[0]).isEqualTo(1); // the first worker's pidbox subscription
        assertThat(o[1]).isEqualTo(1);
        assertThat(o[2]).isEqualTo(true);
        assertThat(messages()).contains("mingle: sync with 1 nodes");
        ControlOptions toB = ControlOptions.defaults().withDestination(List.of(b.nodeName()))
                .withTimeout(Duration.ofSeconds(5));
        assertThat(control.call("revoked", Map.of(), toB).get(b.nodeName())).asList().contains(revokedId);
    }
}
