package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DemoTest {

    @Test
    void the_demo_runs_tasks_in_a_separate_worker_process_and_stops_it_cleanly() {
        Captured c = Captured.run("demo", "--tasks", "30", "--concurrency", "2", "--timeout", "90");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("30 of 30 results correct", "task(s) per second", "ValueError",
                "remote traceback", "exit code 0");
        assertThat(c.err()).contains("ready.", "30/30 results");
    }
}
