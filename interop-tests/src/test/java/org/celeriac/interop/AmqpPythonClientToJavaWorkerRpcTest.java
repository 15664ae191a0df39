package org.celeriac.interop;

/** {@link AmqpPythonClientToJavaWorkerCases} with results through {@code rpc://}. */
class AmqpPythonClientToJavaWorkerRpcTest extends AmqpPythonClientToJavaWorkerCases {
    @Override
    String backend() {
        return "rpc://";
    }
}
