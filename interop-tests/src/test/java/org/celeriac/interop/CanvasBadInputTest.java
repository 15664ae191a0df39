package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.Signature;
import org.junit.jupiter.api.Test;

/**
 * A chord over {@code rpc://} (RabbitMQ broker) is refused before anything is sent, with Celery's reason (the rpc
 * backend's {@code E_NO_CHORD_SUPPORT}: it keeps no groups, and a group chained with a task is a chord too) and
 * the setting to change.
 */
class CanvasBadInputTest {

    @Test
    void a_chord_or_a_chain_with_a_group_over_rpc_is_refused_naming_result_backend() {
        AmqpInterop.requireRabbit();
        try (Celeriac app = Celeriac.builder().set("broker_url", AmqpInterop.url("/"))
                .set("result_backend", "rpc://").build()) {
            assertThatThrownBy(() -> app.chord(List.of(Signature.of("tasks.add", 1, 1)), Signature.of("tasks.xsum")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not support chords")
                    .hasMessageContaining("result_backend")
                    .hasMessageContaining("redis://");
            assertThatThrownBy(() -> app.chain(Signature.of("tasks.add", 1, 1),
                    Signature.group(Signature.of("tasks.mul", 2), Signature.of("tasks.mul", 3)), Signature.of("tasks.xsum")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("a group chained with a task is also upgraded to be a chord");
        }
    }
}
