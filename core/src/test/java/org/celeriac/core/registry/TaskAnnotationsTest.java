package org.celeriac.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.celeriac.api.RetryPolicy;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.config.ConfigException;
import org.junit.jupiter.api.Test;

class TaskAnnotationsTest {

    private static TaskDefinition task(String name, TaskOptions options) {
        return TaskDefinition.of(name, options, (context, args, kwargs) -> "ran " + name);
    }

    @Test
    void exactAndStarEntriesOverrideTheTasksOptionsWithStarAppliedLastAsCelery() throws Exception {
        TaskAnnotations a = TaskAnnotations.parse(Map.of(
                "tasks.add", Map.of("rate_limit", "10/m", "acks_late", true, "time_limit", 30, "max_retries", 7),
                "*", Map.of("acks_late", false, "soft_time_limit", "1.5s")));
        TaskDefinition d = a.apply(task("tasks.add", new TaskOptions("q", "1/s", null, null, null, null, null, null,
                null, null)));
        assertThat(d.options().rateLimit()).isEqualTo("10/m");
        assertThat(d.options().acksLate()).as("'*' is applied after the exact entry").isFalse();
        assertThat(d.options().timeLimit()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.options().softTimeLimit()).isEqualTo(Duration.ofMillis(1500));
        assertThat(d.options().maxRetries()).isEqualTo(7);
        assertThat(d.options().queue()).isEqualTo("q");
        assertThat(d.run(null, List.of(), Map.of())).isEqualTo("ran tasks.add");
        TaskDefinition other = a.apply(task("tasks.mul", TaskOptions.DEFAULTS));
        assertThat(other.options().acksLate()).isFalse();
        assertThat(other.options().rateLimit()).isNull();
    }

    @Test
    void retryOptionsAndMaxRetriesNoneMeanRetryForEver() {
        TaskAnnotations a = TaskAnnotations.parse(List.of(Map.of("t.x", new java.util.HashMap<>(Map.of(
                "autoretry_for", List.of("IOException"), "retry_backoff", 2, "retry_backoff_max", 60,
                "retry_jitter", false))), Map.of("t.x", Map.of("rate_limit", "1/s"))));
        Map<String, Object> none = new java.util.HashMap<>();
        none.put("max_retries", null);
        TaskDefinition d = TaskAnnotations.parse(Map.of("t.x", none)).apply(a.apply(task("t.x", TaskOptions.DEFAULTS)));
        RetryPolicy p = d.retryPolicy();
        assertThat(p).isEqualTo(new RetryPolicy(List.of("IOException"), Duration.ofSeconds(2), Duration.ofSeconds(60),
                false));
        assertThat(d.options().rateLimit()).as("only the first entry naming the task is used").isNull();
        assertThat(d.options().maxRetries()).isEqualTo(-1);
        assertThat(p.matches(new java.io.FileNotFoundException())).isTrue();
        assertThat(p.matches(new IllegalStateException())).isFalse();
    }

    @Test
    void aMalformedRateLimitNamesTheSettingTheTaskAndTheAcceptedForms() {
        assertThatThrownBy(() -> TaskAnnotations.parse(Map.of("tasks.add", Map.of("rate_limit", "ten per minute"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("task_annotations['tasks.add']['rate_limit']")
                .hasMessageContaining("ten per minute").hasMessageContaining("'<n>/m'");
        assertThatThrownBy(() -> TaskAnnotations.parse(Map.of("tasks.add", Map.of("rate_limit_scope", "cluster"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("task_annotations['tasks.add']['rate_limit_scope']")
                .hasMessageContaining("'worker'").hasMessageContaining("'global'");
        assertThatThrownBy(() -> TaskAnnotations.parse(Map.of("tasks.add", "10/m")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not a dict of options");
        assertThatThrownBy(() -> TaskAnnotations.parse(Map.of("t", Map.of("time_limit", "soon"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("task_annotations['t']['time_limit']");
    }

    @Test
    void backoffDoublesUpToTheMaximumAndJitterStaysWithinIt() {
        RetryPolicy p = new RetryPolicy(List.of("Exception"), Duration.ofSeconds(1), Duration.ofSeconds(10), false);
        assertThat(List.of(0, 1, 2, 3, 4, 10).stream().map(n -> p.backoff(n, new java.util.Random()).toSeconds()))
                .containsExactly(1L, 2L, 4L, 8L, 10L, 10L);
        RetryPolicy j = new RetryPolicy(List.of("Exception"), Duration.ofSeconds(1), Duration.ofSeconds(10), true);
        for (int i = 0; i < 50; i++) {
            assertThat(j.backoff(3, new java.util.Random(i)).toSeconds()).isBetween(0L, 8L);
        }
        assertThat(RetryPolicy.NONE.backoff(3, new java.util.Random())).isNull();
        assertThat(RetryPolicy.parseBackoff("x", true)).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> RetryPolicy.parseBackoff("retry_backoff", "often"))
                .hasMessageContaining("retry_backoff").hasMessageContaining("true, false or a number of seconds");
    }
}
