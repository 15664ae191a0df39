package org.celeriac.core.worker;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.protocol.TaskMessage;
import org.celeriac.spi.backend.TaskMeta;

/**
 * Celery's eager mode ({@code task_always_eager}, {@code Task.apply}): runs a task in the caller's
 * thread and returns its meta. Retries run again at once, ignoring the countdown, as Celery's eager
 * retry does. With {@code task_eager_propagates} a failure is re-thrown to the caller. Thread-safe.
 */
public final class EagerExecutor {
    private final Celeriac app;
    private final TaskRunner runner;

    public EagerExecutor(Celeriac app) {
        this.app = app;
        this.runner = new TaskRunner(app);
    }

    /**
     * Runs {@code def} now.
     *
     * @return the meta of the final state (SUCCESS or FAILURE)
     * @throws RuntimeException the task's own exception when {@code task_eager_propagates} is set
     */
    public TaskMeta run(TaskDefinition def, String id, List<Object> args, Map<String, Object> kwargs, ApplyOptions o) {
        int retries = 0;
        while (true) {
            TaskMessage msg = new TaskMessage(id, def.name(), List.copyOf(args), Map.copyOf(kwargs), List.of(), List.of(),
                    List.of(), null, o.eta(), o.expires(), retries, o.timeLimit(), o.softTimeLimit(), id, null, null,
                    null, o.shadow(), app.origin(), false, null, new LinkedHashMap<>(), 2);
            Outcome out = runner.run(def, msg, app.origin(), null, true, (s, m) -> { });
            if (out.retry() != null) {
                retries++;
                continue;
            }
            if (out.succeeded()) {
                return new TaskMeta(id, TaskState.SUCCESS, out.value(), null, List.of(), Instant.now(), null, null, null);
            }
            if (app.settings().bool("task_eager_propagates", false) && out.error() instanceof RuntimeException re) {
                throw re;
            }
            return new TaskMeta(id, TaskState.FAILURE, out.info().toMap(), out.traceback(), List.of(), Instant.now(),
                    null, null, null);
        }
    }
}
