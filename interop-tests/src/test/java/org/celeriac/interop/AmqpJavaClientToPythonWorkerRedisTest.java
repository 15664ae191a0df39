package org.celeriac.interop;

/** {@link AmqpJavaClientToPythonWorkerCases} with results through the shared Redis (database 8). */
class AmqpJavaClientToPythonWorkerRedisTest extends AmqpJavaClientToPythonWorkerCases {
    @Override
    String backend() {
        return AmqpInterop.redisBackend();
    }
}
