package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import org.celeriac.core.Celeriac;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.Test;

/**
 * Mingle on Redis: {@code PUBLISH}'s reply counts the workers that got the {@code hello}, so a worker next to another
 * one stops as soon as that one replied, still taking over its revoked ids. On a private {@code redis-server}.
 */
class WorkerMingleRedisTest extends WorkerMingleCases {
    @Override
    protected String privateBroker() throws Exception {
        PrivateRedis redis = PrivateRedis.start(dir);
        resources.add(redis);
        return redis.url(0);
    }

    @Test
    void a_second_worker_ends_mingle_once_the_first_replied_and_takes_over_its_revokes() {
        Celeriac appA = app();
        Worker a = worker(appA, "first");
        String revokedId = firstWorkerWithARevoke(appA, a);

        Worker b = worker(app(), "second");
        Object[] o = outcome();
        assertThat(o[0]).isEqualTo(1); // the first worker's pidbox subscription
        assertThat(o[1]).isEqualTo(1);
        assertThat(o[2]).isEqualTo(true);
        assertThat(messages()).contains("mingle: sync with 1 nodes");
        assertThat(revokedOf(appA, b)).contains(revokedId);
    }
}
