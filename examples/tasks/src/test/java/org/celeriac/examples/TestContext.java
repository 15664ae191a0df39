package org.celeriac.examples;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.celeriac.api.MaxRetriesExceededException;
import org.celeriac.api.RetryException;
import org.celeriac.api.TaskContext;

/** A minimal hand-written {@link TaskContext} for running tasks outside a worker. */
final class TestContext implements TaskContext {
    private final int retries;

    TestContext(int retries) {
        this.retries = retries;
    }

    @Override public String id() { return "test-id"; }
    @Override public String name() { return "test"; }
    @Override public List<Object> args() { return List.of(); }
    @Override public Map<String, Object> kwargs() { return Map.of(); }
    @Override public int retries() { return retries; }
    @Override public String rootId() { return "test-id"; }
    @Override public String parentId() { return null; }
    @Override public String groupId() { return null; }
    @Override public String hostname() { return "celery@test"; }
    @Override public Instant eta() { return null; }
    @Override public String deliveryQueue() { return null; }
    @Override public Map<String, Object> headers() { return Map.of(); }
    @Override public boolean isEager() { return true; }
    @Override public int maxRetries() { return 3; }

    @Override
    public RuntimeException retry(Duration countdown) {
        return retry(null, countdown, null);
    }

    @Override
    public RuntimeException retry(Throwable cause, Duration countdown, Integer maxRetries) {
        int max = maxRetries == null ? maxRetries() : maxRetries;
        if (retries >= max) {
            return cause instanceof RuntimeException r ? r : new MaxRetriesExceededException("max retries", cause);
        }
        return new RetryException(countdown == null ? Duration.ofSeconds(180) : countdown, cause);
    }

    @Override
    public void updateState(String state, Map<String, Object> meta) {
        throw new UnsupportedOperationException("not needed by the example tasks");
    }

    @Override
    public <T> T taskInstance(Class<T> type) {
        throw new UnsupportedOperationException("the example tasks are static");
    }
}
