package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.Signature;
import org.celeriac.core.memory.MemoryBroker;
import org.celeriac.core.memory.MemoryResultBackend;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The order of what the worker does once a task has finished, as Celery does it: store the state, then the
 * follow-ups (chord part, errbacks) and the "succeeded" line, then the ack ({@code celery/app/trace.py},
 * {@code celery/backends/base.py Backend.mark_as_failure}). Broker and backend are the memory ones behind proxies
 * that record each step into one list.
 */
class WorkerSettleOrderTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> order = new CopyOnWriteArrayList<>();
    private final String failingId = UUID.randomUUID().toString();
    private final String errbackId = UUID.randomUUID().toString();
    private final String addId = UUID.randomUUID().toString();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void errbacksAreSentAfterTheFailureIsStored() {
        Celeriac app = appWithWorker(false);
        app.apply(Signature.of("o.fail").withOption("task_id", failingId)
                .linkError(Signature.of("o.echo").withOption("task_id", errbackId)));
        assertThat(app.asyncResult(errbackId).get(WAIT)).isEqualTo(failingId);
        assertThat(order).containsExactly("FAILURE stored", "errback sent");
    }

    @Test
    void anAcksLateTaskIsLoggedAsSucceededBeforeItsMessageIsAcked() throws Exception {
        Logger worker = (Logger) LoggerFactory.getLogger("celeriac.worker");
        AppenderBase<ILoggingEvent> succeeded = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                if (e.getFormattedMessage().contains("[" + addId + "] succeeded")) {
                    order.add("succeeded logged");
                }
            }
        };
        succeeded.start();
        worker.addAppender(succeeded);
        closeables.add(() -> worker.detachAppender(succeeded));
        Celeriac app = appWithWorker(true);
        app.apply(Signature.of("o.add", 2, 3).withOption("task_id", addId));
        assertThat(app.asyncResult(addId).get(WAIT)).isEqualTo(5L);
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> order.contains("acked"));
        // killed after the ack, a worker has logged the task: its log tells what ran
        assertThat(order).containsExactly("SUCCESS stored", "succeeded logged", "acked");
    }

    private Celeriac appWithWorker(boolean acksLate) {
        String ns = UUID.randomUUID().toString().replace("-", "");
        Broker broker = recording(Broker.class, new MemoryBroker(ns, null), (method, args, result) -> {
            if (method.equals("publish") && args[2] instanceof Message m && errbackId.equals(m.headers().get("id"))) {
                order.add("errback sent");
            }
        });
        ResultBackend backend = recording(ResultBackend.class, new MemoryResultBackend(ns, null, InstantSource.system()),
                (method, args, result) -> {
                    if (method.equals("store") && args[0] instanceof TaskMeta m
                            && (m.taskId().equals(failingId) || m.taskId().equals(addId))) {
                        order.add(m.state() + " stored");
                    }
                });
        TaskOptions options = acksLate ? new TaskOptions(null, null, null, null, true, null, null, null, null, null)
                : TaskOptions.DEFAULTS;
        TaskRegistry registry = TaskRegistry.of(List.of(
                TaskDefinition.of("o.add", options, (context, args, kwargs) ->
                        ((Number) args.get(0)).longValue() + ((Number) args.get(1)).longValue()),
                TaskDefinition.of("o.echo", options, (context, args, kwargs) -> args.get(0)),
                TaskDefinition.of("o.fail", options, (context, args, kwargs) -> {
                    throw PythonException.valueError("no");
                })));
        Celeriac app = Celeriac.builder().broker(broker).resultBackend(backend).registry(registry).build();
        closeables.add(0, app);
        Worker w = new Worker(app, new Worker.Options("settle-order@%h", List.of(), 2, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return app;
    }

    /** What a proxy saw: the method's name, its arguments (never null) and what the delegate returned. */
    private interface Call {
        void seen(String method, Object[] args, Object result);
    }

    /**
     * {@code delegate} behind a proxy that tells {@code call} of every call once the delegate returned; the
     * consumers a broker's {@code consume} returns are wrapped too, and their acks of {@code addId} recorded.
     */
    private <T> T recording(Class<T> type, T delegate, Call call) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            Object[] a = args == null ? new Object[0] : args;
            if (method.getName().equals("ack") && a.length == 1 && a[0] instanceof org.celeriac.spi.broker.Delivery d
                    && addId.equals(d.message().headers().get("id"))) {
                order.add("acked");
            }
            Object result;
            try {
                result = method.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            call.seen(method.getName(), a, result);
            if (result instanceof Consumer c && method.getName().equals("consume")) {
                return recording(Consumer.class, c, (m, x, r) -> { });
            }
            return result;
        }));
    }
}
