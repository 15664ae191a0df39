package org.celeriac.core.beat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.celeriac.api.Task;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.internal.MethodTask;
import org.junit.jupiter.api.Test;

class PeriodicTaskTest {

    /** Like the seed's {@code @periodic_task(run_every=crontab(hour="0"))}. */
    public static final class Tasks {
        @Task(name = "tasks.nightly")
        @PeriodicTask(hour = "0", queue = "maintenance", expires = "1h")
        public static void nightly() {
        }

        @Task(name = "tasks.plain")
        public static void plain() {
        }
    }

    /** What the annotation processor generates for {@link Tasks#nightly()}, written by hand. */
    static final class NightlyDefinition extends MethodTask {
        NightlyDefinition() {
            super("tasks.nightly", TaskOptions.DEFAULTS, Tasks.class, "nightly", new Class<?>[0], new String[0],
                    new String[0], false, true);
        }

        @Override
        protected Object invoke(TaskContext context, Object[] args) {
            return null;
        }
    }

    static final class PlainDefinition extends MethodTask {
        PlainDefinition() {
            super("tasks.plain", TaskOptions.DEFAULTS, Tasks.class, "plain", new Class<?>[0], new String[0],
                    new String[0], false, true);
        }

        @Override
        protected Object invoke(TaskContext context, Object[] args) {
            return null;
        }
    }

    @PeriodicTask(runEvery = "PT30S", name = "heartbeat")
    static final class HandWritten implements TaskDefinition {
        @Override
        public String name() {
            return "tasks.hand";
        }

        @Override
        public TaskOptions options() {
            return TaskOptions.DEFAULTS;
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) {
            return null;
        }
    }

    @PeriodicTask(runEvery = "10", minute = "5")
    static final class Both extends HandWrittenBase {
    }

    abstract static class HandWrittenBase implements TaskDefinition {
        @Override
        public String name() {
            return "tasks.both";
        }

        @Override
        public TaskOptions options() {
            return TaskOptions.DEFAULTS;
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) {
            return null;
        }
    }

    @Test
    void annotatedTasksBecomeEntries() {
        List<BeatEntry> entries = BeatEntry.fromAnnotations(
                List.of(new NightlyDefinition(), new PlainDefinition(), new HandWritten()));

        assertThat(entries).extracting(BeatEntry::name).containsExactly("tasks.nightly", "heartbeat");
        BeatEntry nightly = entries.get(0);
        assertThat(((Crontab) nightly.schedule()).hours()).containsExactly(0);
        assertThat(((Crontab) nightly.schedule()).minutes()).hasSize(60);
        assertThat(nightly.options()).containsEntry("queue", "maintenance").containsEntry("expires", 3600.0);
        assertThat(entries.get(1).task()).isEqualTo("tasks.hand");
        assertThat(entries.get(1).schedule()).isEqualTo(new Interval(Duration.ofSeconds(30)));
    }

    @Test
    void intervalAndCrontabTogetherAreRefused() {
        assertThatThrownBy(() -> BeatEntry.fromAnnotations(List.of(new Both())))
                .hasMessageContaining("tasks.both").hasMessageContaining("either runEvery or crontab");
    }
}
