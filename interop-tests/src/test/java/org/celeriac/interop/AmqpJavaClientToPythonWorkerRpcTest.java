package org.celeriac.interop;

/** {@link AmqpJavaClientToPythonWorkerCases} with results through {@code rpc://} (Python's worker replies to the Java client's {@code reply_to}). */
class AmqpJavaClientToPythonWorkerRpcTest extends AmqpJavaClientToPythonWorkerCases {
    @Override
    String backend() {
        return "rpc://";
    }
}
