package org.celeriac.core.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.celeriac.api.Durations;
import org.celeriac.api.MaxRetriesExceededException;
import org.celeriac.api.RetryException;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskInstanceFactory;
import org.celeriac.core.protocol.TaskMessage;

/** The {@link TaskContext} of one execution. Used by one thread. */
final class RequestContext implements TaskContext {
    private final TaskMessage msg;
    private final String hostname;
    private final String queue;
    private final boolean eager;
    private final int maxRetries;
    private final Duration defaultRetryDelay;
    private final TaskInstanceFactory instances;
    private final BiConsumer<String, Map<String, Object>> stateUpdater;
    private final java.util.function.BooleanSupplier cancelled;

    RequestContext(TaskMessage msg, String hostname, String queue, boolean eager, int maxRetries,
                   Duration defaultRetryDelay, TaskInstanceFactory instances,
                   BiConsumer<String, Map<String, Object>> stateUpdater,
                   java.util.function.BooleanSupplier cancelled) {
        this.cancelled = cancelled;
        this.msg = msg;
        this.hostname = hostname;
        this.queue = queue;
        this.eager = eager;
        this.maxRetries = maxRetries;
        this.defaultRetryDelay = defaultRetryDelay;
        this.instances = instances;
        this.stateUpdater = stateUpdater;
    }

    @Override
    public String id() {
        return msg.id();
    }

    @Override
    public String name() {
        return msg.task();
    }

    @Override
    public List<Object> args() {
        return msg.args();
    }

    @Override
    public Map<String, Object> kwargs() {
        return msg.kwargs();
    }

    @Override
    public int retries() {
        return msg.retries();
    }

    @Override
    public String rootId() {
        return msg.rootId();
    }

    @Override
    public String parentId() {
        return msg.parentId();
    }

    @Override
    public String groupId() {
        return msg.group();
    }

    @Override
    public String hostname() {
        return hostname;
    }

    @Override
    public Instant eta() {
        return msg.eta();
    }

    @Override
    public String deliveryQueue() {
        return queue;
    }

    @Override
    public Map<String, Object> headers() {
        return msg.headers();
    }

    @Override
    public boolean isEager() {
        return eager;
    }

    @Override
    public int maxRetries() {
        return maxRetries;
    }

    @Override
    public RuntimeException retry(Duration countdown) {
        return retry(null, countdown, null);
    }

    @Override
    public RuntimeException retry(Throwable cause, Duration countdown, Integer maxRetriesOverride) {
        int max = maxRetriesOverride == null ? maxRetries : maxRetriesOverride;
        if (max >= 0 && msg.retries() >= max) {
            if (cause instanceof RuntimeException re) {
                return re;
            }
            return new MaxRetriesExceededException("Can't retry " + msg.task() + "[" + msg.id() + "] args:"
                    + msg.args() + " kwargs:" + msg.kwargs() + " (max_retries " + max + " exceeded)", cause);
        }
        Duration delay = countdown == null ? defaultRetryDelay : countdown;
        return new RetryException(delay == null ? Durations.ofSeconds(180) : delay, cause);
    }

    @Override
    public void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            Thread.interrupted(); // the exception replaces the interruption
            throw new org.celeriac.api.SoftTimeLimitExceededException("SoftTimeLimitExceeded()");
        }
    }

    @Override
    public void updateState(String state, Map<String, Object> meta) {
        stateUpdater.accept(state, meta);
    }

    @Override
    public <T> T taskInstance(Class<T> type) {
        return instances.instance(type);
    }
}
