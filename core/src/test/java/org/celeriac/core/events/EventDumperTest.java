package org.celeriac.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lines of {@code celeriac events --dump}, pinned to what Celery 5.2.6's {@code Dumper.on_event} printed. */
class EventDumperTest {

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void worker_events_are_humanized_with_sorted_fields_like_celerys_dumper() {
        String line = new EventDumper().format(map("hostname", "w2@vm", "utcoffset", 0L, "pid", 12819L, "clock", 1L,
                "freq", 2.0, "active", 0L, "processed", 0L, "loadavg", List.of(0.04, 0.04, 0.01), "sw_ident", "py-celery",
                "sw_ver", "5.2.6", "sw_sys", "Linux", "timestamp", 1795392927.3906991, "type", "worker-online",
                "local_received", 1795392927.5));

        assertThat(line).isEqualTo("w2@vm [2026-11-23 00:15:27.390699] started: active=0, clock=1, freq=2.0, "
                + "loadavg=[0.04, 0.04, 0.01], local_received=1795392927.5, pid=12819, processed=0, sw_ident=py-celery, "
                + "sw_sys=Linux, sw_ver=5.2.6, utcoffset=0");
    }

    @Test
    void task_lines_carry_the_name_and_args_remembered_from_task_received() {
        EventDumper d = new EventDumper();
        String received = d.format(map("hostname", "w2@vm", "utcoffset", 0L, "pid", 1L, "clock", 2L, "uuid", "abc",
                "name", "tasks.add", "args", "(1, 2)", "kwargs", "{}", "root_id", null, "parent_id", null, "retries", 0L,
                "eta", null, "expires", null, "timestamp", 1795392928.0, "type", "task-received",
                "local_received", 1795392928.25));
        String succeeded = d.format(map("hostname", "w2@vm", "utcoffset", 0L, "pid", 1L, "clock", 3L, "uuid", "abc",
                "result", "3", "runtime", 0.0012, "timestamp", 1795392928.5, "type", "task-succeeded",
                "local_received", 1795392928.75));
        String unknown = d.format(map("hostname", "w2@vm", "utcoffset", 0L, "pid", 1L, "clock", 4L, "uuid", "zzz",
                "timestamp", 1795392929.5, "type", "task-started", "local_received", 1795392929.75));

        assertThat(Arrays.asList(received, succeeded, unknown)).containsExactly(
                "w2@vm [2026-11-23 00:15:28] task received: tasks.add(abc) args=(1, 2) kwargs={} clock=2, eta=None, "
                        + "expires=None, local_received=1795392928.25, parent_id=None, pid=1, retries=0, root_id=None, "
                        + "utcoffset=0",
                "w2@vm [2026-11-23 00:15:28.500000] task succeeded: tasks.add(abc) args=(1, 2) kwargs={} clock=3, "
                        + "local_received=1795392928.75, pid=1, result=3, runtime=0.0012, utcoffset=0",
                "w2@vm [2026-11-23 00:15:29.500000] task started:  clock=4, local_received=1795392929.75, pid=1, "
                        + "utcoffset=0");
    }

    @Test
    void an_event_without_a_type_is_refused() {
        assertThatThrownBy(() -> new EventDumper().format(map("hostname", "x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("type");
    }
}
