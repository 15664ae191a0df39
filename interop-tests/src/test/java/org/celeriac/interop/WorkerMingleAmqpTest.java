package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import org.celeriac.core.Celeriac;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.Test;

/**
 * Mingle on RabbitMQ, in a fresh virtual host: alone, the {@code hello} comes back unroutable and mingle ends at once
 * (the cases in {@link WorkerMingleCases}); next to another worker AMQP cannot say how many queues got it, so mingle
 * waits Celery's whole second and still takes over the other worker's revoked ids.
 */
class WorkerMingleAmqpTest extends WorkerMingleCases {
    @Override
    protected String privateBroker() {
        String vhost = AmqpInterop.createVhost("mingle");
        resources.add(() -> AmqpInterop.deleteVhost(vhost));
        return AmqpInterop.url(vhost);
    }

    @Test
    void a_second_worker_waits_the_whole_window_and_takes_over_the_revokes_of_the_first() {
        Celeriac appA = app();
        Worker a = worker(appA, "first");
        String revokedId = firstWorkerWithARevoke(appA, a);

        Worker b = worker(app(), "second");
        Object[] o = outcome();
        assertThat(o[0]).isEqualTo("an unknown number of");
        assertThat(o[1]).isEqualTo(1);
        assertThat(o[2]).isEqualTo(false); // ended on the one-second timeout
        assertThat((Long) o[3]).isGreaterThanOrEqualTo(900L);
        assertThat(messages()).contains("mingle: sync with 1 nodes");
        assertThat(revokedOf(appA, b)).contains(revokedId);
    }
}
