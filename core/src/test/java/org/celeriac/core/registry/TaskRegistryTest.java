package org.celeriac.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.Task;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.junit.jupiter.api.Test;

class TaskRegistryTest {

    static final class One implements TaskDefinition {
        @Override
        public String name() {
            return "same.name";
        }

        @Override
        public TaskOptions options() {
            return TaskOptions.DEFAULTS;
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) {
            return 1;
        }
    }

    static final class Two implements TaskDefinition {
        @Override
        public String name() {
            return "same.name";
        }

        @Override
        public TaskOptions options() {
            return TaskOptions.DEFAULTS;
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) {
            return 2;
        }
    }

    /** Has a @Task method but (in this test) no generated registration on the class path. */
    public static final class Unprocessed {
        @Task(name = "never.registered")
        public static int x() {
            return 0;
        }
    }

    @Test
    void twoTasksWithOneNameFailNamingBothClasses() {
        assertThatThrownBy(() -> TaskRegistry.of(List.of(new One(), new Two())))
                .isInstanceOf(CeleriacException.class)
                .hasMessageContaining("same.name").hasMessageContaining("TaskRegistryTest$One")
                .hasMessageContaining("TaskRegistryTest$Two");
    }

    @Test
    void anAppWithTaskMethodsButNoRegistrationsExplainsTheAnnotationProcessor() {
        ClassLoader empty = new ClassLoader(null) {
        };
        assertThatThrownBy(() -> TaskRegistry.load(empty, Unprocessed.class))
                .isInstanceOf(CeleriacException.class)
                .hasMessageContaining("-proc:full").hasMessageContaining("annotationProcessorPaths");
    }

    @Test
    void namesAreSortedAndLookupsWork() {
        TaskRegistry r = TaskRegistry.of(List.of(new One()));
        assertThat(r.get("same.name")).isPresent();
        assertThat(r.get("other")).isEmpty();
        assertThat(r.names()).containsExactly("same.name");
    }
}
