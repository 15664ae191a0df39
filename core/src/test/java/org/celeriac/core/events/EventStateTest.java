package org.celeriac.core.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@link EventState} makes of a stream of events, as Celery's {@code State} does. */
class EventStateTest {

    private static Map<String, Object> ev(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void a_worker_is_alive_until_twice_its_freq_without_heartbeat_or_an_offline_event() {
        EventState s = new EventState(10);
        s.event(ev("type", "worker-online", "hostname", "w@h", "freq", 2.0, "active", 0L, "processed", 0L,
                "loadavg", List.of(0.5, 0.4, 0.3), "sw_ident", "celeriac", "sw_ver", "0.1.0", "local_received", 100.0));
        s.event(ev("type", "worker-heartbeat", "hostname", "w@h", "freq", 2.0, "active", 1L, "processed", 7L,
                "local_received", 102.0));

        EventState.WorkerInfo w = s.workers().get(0);
        assertThat(w.processed()).isEqualTo(7);
        assertThat(w.active()).isEqualTo(1);
        assertThat(w.software()).isEqualTo("celeriac 0.1.0");
        assertThat(w.alive(106.0)).isTrue();
        assertThat(w.alive(106.1)).isFalse();

        s.event(ev("type", "worker-offline", "hostname", "w@h", "freq", 2.0, "local_received", 103.0));
        assertThat(s.workers().get(0).alive(103.0)).isFalse();
    }

    @Test
    void a_task_keeps_its_name_and_args_from_received_and_takes_the_state_of_its_last_event() {
        EventState s = new EventState(2);
        s.event(ev("type", "task-received", "hostname", "w@h", "uuid", "a", "name", "tasks.add", "args", "(1, 2)",
                "kwargs", "{}", "local_received", 1.0));
        s.event(ev("type", "task-started", "hostname", "w@h", "uuid", "a", "local_received", 2.0));
        s.event(ev("type", "task-succeeded", "hostname", "w@h", "uuid", "a", "result", "3", "runtime", 0.5,
                "local_received", 3.0));

        EventState.TaskInfo a = s.task("a");
        assertThat(a.state()).isEqualTo("SUCCESS");
        assertThat(a.name()).isEqualTo("tasks.add");
        assertThat(a.args()).isEqualTo("(1, 2)");
        assertThat(a.result()).isEqualTo("3");
        assertThat(a.runtime()).isEqualTo(0.5);

        s.event(ev("type", "task-failed", "uuid", "b", "exception", "ValueError('x')", "local_received", 4.0));
        s.event(ev("type", "task-revoked", "uuid", "c", "local_received", 5.0));
        assertThat(s.tasks(10)).extracting(EventState.TaskInfo::uuid).containsExactly("b", "c");
        assertThat(s.task("b").state()).isEqualTo("FAILURE");
        assertThat(s.task("c").state()).isEqualTo("REVOKED");
    }
}
