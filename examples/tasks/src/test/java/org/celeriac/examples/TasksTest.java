package org.celeriac.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.celeriac.api.PythonException;
import org.celeriac.api.RetryException;
import org.celeriac.api.TaskArgumentException;
import org.celeriac.api.TaskDefinition;
import org.junit.jupiter.api.Test;

class TasksTest {
    private static final Map<String, TaskDefinition> TASKS = ServiceLoader.load(TaskDefinition.class).stream()
            .map(ServiceLoader.Provider::get)
            .collect(Collectors.toMap(TaskDefinition::name, Function.identity()));

    private static Object run(String name, List<Object> args, Map<String, Object> kwargs) throws Exception {
        return run(0, name, args, kwargs);
    }

    private static Object run(int retries, String name, List<Object> args, Map<String, Object> kwargs)
            throws Exception {
        return TASKS.get(name).run(new TestContext(retries), args, kwargs);
    }

    @Test
    void serviceLoaderFindsExactlyTheExampleTasks() {
        assertThat(TASKS).containsOnlyKeys("tasks.add", "tasks.mul", "tasks.echo", "tasks.fail", "tasks.sleep",
                "tasks.xsum");
        assertThat(TASKS.values()).allSatisfy(t -> assertThat(t.declaringClass()).isEqualTo(Tasks.class));
    }

    @Test
    void addUsesPythonIntegerAndFloatArithmetic() throws Exception {
        assertThat(run("tasks.add", List.of(2L, 2L), Map.of())).isEqualTo(4L);
        BigInteger twoTo70 = BigInteger.TWO.pow(70);
        assertThat(run("tasks.add", List.of(twoTo70, 1L), Map.of())).isEqualTo(twoTo70.add(BigInteger.ONE));
        assertThat(run("tasks.add", List.of(Long.MAX_VALUE, 1L), Map.of()))
                .isEqualTo(BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE));
        assertThat(run("tasks.add", List.of(1L, 0.5), Map.of())).isEqualTo(1.5);
        assertThat(run("tasks.add", List.of(), Map.of("y", 3L, "x", 4L))).isEqualTo(7L);
    }

    @Test
    void addOfANonNumberIsPythonsTypeError() {
        assertThatThrownBy(() -> run("tasks.add", List.of(1L, "a"), Map.of()))
                .isInstanceOfSatisfying(PythonException.class, e -> {
                    assertThat(e.excType()).isEqualTo("TypeError");
                    assertThat(e.excModule()).isEqualTo("builtins");
                    assertThat(e.excArgs()).containsExactly("unsupported operand type(s) for +: 'int' and 'str'");
                });
    }

    @Test
    void mulIsExactBeyondLong() throws Exception {
        assertThat(run("tasks.mul", List.of(6L, 7L), Map.of())).isEqualTo(42L);
        assertThat(run("tasks.mul", List.of(1L << 40, 1L << 40), Map.of()))
                .isEqualTo(BigInteger.TWO.pow(80));
        assertThat(run("tasks.mul", List.of(2L, 0.25), Map.of())).isEqualTo(0.5);
        assertThat(run("tasks.mul", List.of(BigInteger.TWO.pow(80), 0L), Map.of())).isEqualTo(0L);
    }

    @Test
    void echoReturnsNestedStructuresUnchanged() throws Exception {
        Map<String, Object> nested = Map.of("a", List.of(1L, 2.5, "x", Map.of("b", List.of())), "n", BigInteger.TEN);
        assertThat(run("tasks.echo", List.of(nested), Map.of())).isSameAs(nested);
        assertThat(run("tasks.echo", List.of(), Map.of("obj", "hi"))).isEqualTo("hi");
        Object[] none = {null};
        assertThat(run("tasks.echo", java.util.Arrays.asList(none), Map.of())).isNull();
    }

    @Test
    void failRetriesThenRaisesValueError() throws Exception {
        assertThatThrownBy(() -> run(0, "tasks.fail", List.of("boom", 2L, 1.5), Map.of()))
                .isInstanceOfSatisfying(RetryException.class,
                        e -> assertThat(e.countdown()).isEqualTo(Duration.ofMillis(1500)));
        assertThatThrownBy(() -> run(1, "tasks.fail", List.of("boom", 2L), Map.of()))
                .isInstanceOfSatisfying(RetryException.class,
                        e -> assertThat(e.countdown()).isEqualTo(Duration.ofMillis(500)));
        assertThatThrownBy(() -> run(2, "tasks.fail", List.of("boom", 2L), Map.of()))
                .isInstanceOfSatisfying(PythonException.class, e -> {
                    assertThat(e.excType()).isEqualTo("ValueError");
                    assertThat(e.excModule()).isEqualTo("builtins");
                    assertThat(e.excArgs()).containsExactly("boom");
                });
    }

    @Test
    void failBindsKeywordArgumentsAndDefaults() {
        assertThatThrownBy(() -> run("tasks.fail", List.of(), Map.of("msg", "x")))
                .isInstanceOfSatisfying(PythonException.class, e -> {
                    assertThat(e.excType()).isEqualTo("ValueError");
                    assertThat(e.excArgs()).containsExactly("x");
                });
        assertThatThrownBy(() -> run("tasks.fail", List.of(), Map.of("msg", "x", "retries", 1L, "countdown", 2L)))
                .isInstanceOfSatisfying(RetryException.class,
                        e -> assertThat(e.countdown()).isEqualTo(Duration.ofSeconds(2)));
    }

    @Test
    void wrongArgumentCountIsPythonsTypeError() {
        assertThatThrownBy(() -> run("tasks.add", List.of(1L, 2L, 3L), Map.of()))
                .isInstanceOf(TaskArgumentException.class)
                .hasMessage("add() takes 2 positional arguments but 3 were given");
        assertThatThrownBy(() -> run("tasks.add", List.of(1L), Map.of()))
                .isInstanceOf(TaskArgumentException.class)
                .hasMessage("add() missing 1 required positional argument: 'y'");
        assertThatThrownBy(() -> run("tasks.fail", List.of("m", 0L, 0.5, 4L), Map.of()))
                .isInstanceOf(TaskArgumentException.class)
                .hasMessage("fail() takes from 1 to 3 positional arguments but 4 were given");
    }

    @Test
    void xsumSumsLikePython() throws Exception {
        assertThat(run("tasks.xsum", List.of(List.of()), Map.of())).isEqualTo(0L);
        assertThat(run("tasks.xsum", List.of(List.of(1L, 2L, 3L)), Map.of())).isEqualTo(6L);
        assertThat(run("tasks.xsum", List.of(List.of(1L, 0.5, List.of(2L, 2L))), Map.of())).isEqualTo(5.5);
        assertThat(run("tasks.xsum", List.of(List.of(Long.MAX_VALUE, Long.MAX_VALUE)), Map.of()))
                .isEqualTo(BigInteger.valueOf(Long.MAX_VALUE).shiftLeft(1));
        assertThatThrownBy(() -> run("tasks.xsum", List.of(List.of(1L, "2")), Map.of()))
                .isInstanceOfSatisfying(PythonException.class,
                        e -> assertThat(e.getMessage()).isEqualTo("unsupported operand type(s) for +: 'int' and 'str'"));
    }

    @Test
    void sleepReturnsItsArgumentAsGiven() throws Exception {
        assertThat(run("tasks.sleep", List.of(0.01), Map.of())).isEqualTo(0.01);
        assertThat(run("tasks.sleep", List.of(0L), Map.of())).isEqualTo(0L);
        assertThatThrownBy(() -> run("tasks.sleep", List.of(-1L), Map.of()))
                .isInstanceOfSatisfying(PythonException.class, e -> assertThat(e.excType()).isEqualTo("ValueError"));
    }
}
