package org.celeriac.core.worker;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.control.Mailbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's mingle ({@code celery/worker/consumer/mingle.py}): at start-up, before consuming, the worker broadcasts
 * {@code hello(from_node, revoked)} to the other workers (pidbox), waits one second for the replies, and merges each
 * reply's revoked ids and Lamport clock into its own state, so a worker that joins late still honours the revokes
 * the others know. Skipped with {@code worker_without_mingle} ({@code --without-mingle}) and on transports without
 * broadcast. Never fails the start: errors are logged.
 *
 * <p>Deviation from Celery, which always waits the whole second: where the transport reports how many subscribers
 * got the {@code hello} ({@link org.celeriac.spi.broker.Broker#publishBroadcastCounted}: Redis counts them, RabbitMQ
 * tells only that there are none), mingle ends as soon as that many nodes have replied, and at once when nobody else
 * listens ("all alone"). The worker's own remote-control server is started after mingle ({@code Worker.start}, as
 * Celery's {@code Control} bootstep comes after {@code Mingle}), so the count is of the other workers. The
 * one-second bound stays when the count is unknown (RabbitMQ with other workers, {@code memory://}) and when a
 * receiver does not answer.
 */
final class Mingle {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker.mingle");
    /** Celery's {@code inspect(timeout=1.0)}. */
    static final Duration TIMEOUT = Duration.ofSeconds(1);

    private Mingle() {
    }

    /**
     * Runs mingle for {@code worker}; blocks at most about {@link #TIMEOUT}: less when every receiver of the
     * {@code hello} has replied (see the class comment).
     *
     * @return the collection's outcome (replies, receiver count, elapsed time), or null when mingle did not run
     *         (no broadcast, remote control off) or the broker could not be reached
     */
    static ControlClient.Replies sync(Worker worker, Celeriac app) {
        if (!app.broker().capabilities().broadcast()
                || !app.settings().bool("worker_enable_remote_control", true)) {
            return null;
        }
        LOG.info("mingle: searching for neighbors");
        ControlClient.Replies outcome;
        try (ControlClient client = new ControlClient(app.broker(), Mailbox.of(app), worker.clock())) {
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("from_node", worker.nodeName());
            args.put("revoked", worker.revokedSet().asData());
            outcome = client.callUntilAllReplied("hello", args, ControlOptions.defaults().withTimeout(TIMEOUT));
        } catch (RuntimeException e) {
            LOG.warn("mingle: cannot reach the other workers: {}", e.toString());
            return null;
        }
        LOG.debug("mingle: hello reached {} listener(s), {} replied, all replied: {}, after {} ms",
                outcome.receivers().isPresent() ? outcome.receivers().getAsInt() : "an unknown number of",
                outcome.replies().size(), outcome.allReplied(), outcome.elapsed().toMillis());
        Map<String, Object> replies = new LinkedHashMap<>(outcome.replies());
        replies.remove(worker.nodeName());
        replies.values().removeIf(v -> v == null || (v instanceof Map<?, ?> m && m.isEmpty()));
        if (replies.isEmpty()) {
            LOG.info("mingle: all alone");
            return outcome;
        }
        LOG.info("mingle: sync with {} nodes", replies.size());
        replies.forEach((node, reply) -> {
            LOG.debug("mingle: processing reply from {}", node);
            try {
                if (reply instanceof Map<?, ?> m) {
                    Object clock = m.get("clock");
                    if (clock instanceof Number n) {
                        worker.clock().adjust(n.longValue());
                    } else {
                        worker.clock().forward();
                    }
                    if (m.get("revoked") != null) {
                        worker.revokedSet().update(m.get("revoked"));
                    }
                }
            } catch (RuntimeException e) {
                LOG.error("mingle: sync with {} failed: {}", node, e.toString(), e);
            }
        });
        LOG.info("mingle: sync complete");
        return outcome;
    }
}
