package org.celeriac.interop;

import java.util.List;

/** {@link FeaturesWorkerCases} on Redis (transport and result backend), database 9 of the shared server. */
class FeaturesRedisTest extends FeaturesWorkerCases {
    static final int DB = 9;

    @Override
    String url() {
        Interop.requireRedis();
        return Interop.sharedRedis(DB);
    }

    @Override
    void cleanup(List<String> queues) {
        Interop.deleteKeys(url(), queues);
        deletePidboxKeys(url());
    }
}
