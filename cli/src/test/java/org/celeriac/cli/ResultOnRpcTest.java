package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code celeriac result ID} on rpc:// explains why it cannot work instead of waiting forever. */
class ResultOnRpcTest {

    @Test
    void rpcResultBackendsAreRecognisedInEverySpelling() {
        assertThat(ResultCommand.isRpc("rpc://")).isTrue();
        assertThat(ResultCommand.isRpc("RPC://localhost")).isTrue();
        assertThat(ResultCommand.isRpc("amqp")).isTrue();
        assertThat(ResultCommand.isRpc("redis://localhost:6379/0")).isFalse();
        assertThat(ResultCommand.isRpc("")).isFalse();
    }

    @Test
    void resultOnRpcExplainsThatOnlyTheCallerCanReadIt() {
        Captured c = Captured.run("result", "some-id", "--broker", "amqp://guest:guest@127.0.0.1:5672//",
                "--result-backend", "rpc://", "--timeout", "1");
        assertThat(c.exitCode()).as(c.err()).isEqualTo(Main.CONFIG);
        assertThat(c.err()).contains("rpc://").contains("client that sent the task").contains("some-id");
        assertThat(c.out()).isEmpty();
    }
}
