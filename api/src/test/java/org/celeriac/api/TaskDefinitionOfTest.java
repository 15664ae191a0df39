package org.celeriac.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link TaskDefinition#of}: a task from a lambda, as tests and code-registered apps write them. */
class TaskDefinitionOfTest {
    @Test
    void aLambdaTaskHasItsNameOptionsRetryPolicyAndBody() throws Exception {
        TaskOptions options = TaskOptions.DEFAULTS;
        RetryPolicy retry = new RetryPolicy(List.of("builtins.ValueError"), Duration.ofSeconds(1), Duration.ofSeconds(60),
                false);
        TaskDefinition add = TaskDefinition.of("tasks.add", options, retry,
                (context, args, kwargs) -> ((Number) args.get(0)).longValue() + ((Number) kwargs.get("y")).longValue());
        assertThat(add.name()).isEqualTo("tasks.add");
        assertThat(add.options()).isSameAs(options);
        assertThat(add.retryPolicy()).isSameAs(retry);
        assertThat(add.run(null, List.of(2L), Map.of("y", 3L))).isEqualTo(5L);
        assertThat(add.declaringClass()).as("the class that wrote the lambda (celeriac worker -A)")
                .isEqualTo(TaskDefinitionOfTest.class);
        assertThat(add).hasToString("TaskDefinition[tasks.add]");
        assertThat(TaskDefinition.of("tasks.noop", options, (c, a, k) -> null).retryPolicy()).isSameAs(RetryPolicy.NONE);
    }

    @Test
    void theBodysExceptionsComeThroughAndNullsAreRefused() {
        TaskDefinition fail = TaskDefinition.of("tasks.fail", TaskOptions.DEFAULTS, (c, a, k) -> {
            throw new IllegalStateException("boom");
        });
        assertThatThrownBy(() -> fail.run(null, List.of(), Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessage("boom");
        assertThatThrownBy(() -> TaskDefinition.of(null, TaskOptions.DEFAULTS, (c, a, k) -> null))
                .isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThatThrownBy(() -> TaskDefinition.of("t", TaskOptions.DEFAULTS, null))
                .isInstanceOf(NullPointerException.class).hasMessage("body");
    }
}
