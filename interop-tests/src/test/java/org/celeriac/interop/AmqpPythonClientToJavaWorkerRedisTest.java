package org.celeriac.interop;

/** {@link AmqpPythonClientToJavaWorkerCases} with results through the shared Redis (database 8). */
class AmqpPythonClientToJavaWorkerRedisTest extends AmqpPythonClientToJavaWorkerCases {
    @Override
    String backend() {
        return AmqpInterop.redisBackend();
    }
}
