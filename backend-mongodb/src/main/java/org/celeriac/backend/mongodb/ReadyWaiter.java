package org.celeriac.backend.mongodb;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.bson.BsonValue;
import org.bson.Document;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one waiter thread of a {@link MongoResultBackend}: completes {@link MongoResultBackend#whenReady} futures.
 * With a change stream on the task collection (replica sets and sharded clusters) it is woken by the stores;
 * where the server has none (a standalone {@code mongod}, the in-process test server) it polls every waited-for id
 * in one {@code find({_id: {$in: [...]}, status: {$in: [ready states]}})} per round, backing off ×1.5 from the
 * smallest requested poll interval up to {@code max(that interval, 1 s)}, and back to the start whenever a new
 * waiter comes or a result completes. A change stream is opened before the waited-for ids are first read, so a
 * store between the two is seen by one or the other; it is closed while nobody waits. Thread-safe.
 */
final class ReadyWaiter {
    private static final Logger LOG = LoggerFactory.getLogger(ReadyWaiter.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final int BATCH = 500;
    private static final Duration MAX_AWAIT = Duration.ofMillis(200);
    private static final Duration ERROR_BACKOFF_MAX = Duration.ofSeconds(5);

    /** What the waiter needs from the backend. */
    interface Source {
        /** The ready metas among {@code ids}; a value is a {@link TaskMeta} or the {@link RuntimeException} decoding it threw. */
        Map<String, Object> readReady(Collection<String> ids);

        /** Opens a change stream on the task collection; throws {@link MongoCommandException} when the server has none. */
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> openStream(Duration maxAwait);
    }

    private final Source source;
    private final String display;
    private final boolean changeStreams;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Map<String, Set<Waiter>> waiting = new HashMap<>();
    private final Set<String> fresh = new LinkedHashSet<>();
    private Thread thread;
    private volatile boolean closed;
    private volatile boolean polling;
    private volatile boolean streamOpen;
    private MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream; // waiter thread only

    private record Waiter(CompletableFuture<TaskMeta> future, Duration pollInterval) {
    }

    ReadyWaiter(Source source, String display, boolean changeStreams) {
        this.source = source;
        this.display = display;
        this.changeStreams = changeStreams;
        this.polling = !changeStreams;
    }

    /** True once a change stream has been opened (push), false while polling. */
    boolean push() {
        return streamOpen;
    }

    /** True when the server has no change streams (or they are disabled) and the waiter polls. */
    boolean polling() {
        return polling;
    }

    /** How many task ids are waited for. */
    int waitingCount() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    CompletableFuture<TaskMeta> await(String taskId, Duration pollInterval) {
        CompletableFuture<TaskMeta> f = new CompletableFuture<>();
        Duration poll = pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()
                ? Duration.ofMillis(500) : pollInterval; // Celery's AsyncResult.get(interval=0.5)
        Waiter w = new Waiter(f, poll);
        lock.lock();
        try {
            if (closed) {
                f.completeExceptionally(closedError());
                return f;
            }
            waiting.computeIfAbsent(taskId, k -> ConcurrentHashMap.newKeySet()).add(w);
            fresh.add(taskId);
            if (thread == null) {
                thread = new Thread(this::run, "celeriac-mongodb-waiter-" + THREADS.incrementAndGet());
                thread.setDaemon(true);
                thread.start();
            }
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        f.whenComplete((v, e) -> remove(taskId, w));
        return f;
    }

    private ResultBackendException closedError() {
        return new ResultBackendException("the MongoDB result backend " + display
                + " was closed while waiting for a result");
    }

    private void remove(String taskId, Waiter w) {
        lock.lock();
        try {
            Set<Waiter> set = waiting.get(taskId);
            if (set != null && set.remove(w) && set.isEmpty()) {
                waiting.remove(taskId);
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        Duration interval = null;
        Duration errorBackoff = Duration.ofMillis(100);
        boolean recheckAll = false;
        boolean failing = false;
        try {
            while (!closed) {
                List<String> toCheck;
                Duration minPoll;
                boolean hadFresh;
                lock.lock();
                try {
                    while (!closed && waiting.isEmpty()) {
                        closeStream();
                        fresh.clear();
                        wake.await();
                    }
                    if (closed) {
                        return;
                    }
                    minPoll = waiting.values().stream().flatMap(Set::stream).map(Waiter::pollInterval)
                            .min(Duration::compareTo).orElse(Duration.ofMillis(500));
                    toCheck = new ArrayList<>(fresh);
                    hadFresh = !fresh.isEmpty();
                    fresh.clear();
                    if (recheckAll || polling) {
                        toCheck = new ArrayList<>(waiting.keySet());
                    }
                } finally {
                    lock.unlock();
                }
                try {
                    if (!polling && stream == null) {
                        openStream();
                        if (stream != null) {
                            toCheck = allWaiting(); // opened (again): read everything once
                        }
                    }
                    boolean completed = check(toCheck);
                    recheckAll = false;
                    if (failing) {
                        LOG.info("MongoDB result backend {}: reachable again", display);
                        failing = false;
                        errorBackoff = Duration.ofMillis(100);
                    }
                    if (stream != null) {
                        ChangeStreamDocument<Document> ev = stream.tryNext();
                        if (ev != null && ev.getDocumentKey() != null) {
                            BsonValue id = ev.getDocumentKey().get("_id");
                            if (id != null && id.isString()) {
                                String taskId = id.asString().getValue();
                                boolean wanted;
                                lock.lock();
                                try {
                                    wanted = waiting.containsKey(taskId);
                                } finally {
                                    lock.unlock();
                                }
                                if (wanted) {
                                    check(List.of(taskId));
                                }
                            }
                        }
                    } else {
                        if (completed || hadFresh || interval == null) {
                            interval = minPoll; // back to the start: something happened
                        }
                        waitFor(interval);
                        Duration cap = minPoll.compareTo(Duration.ofSeconds(1)) > 0 ? minPoll : Duration.ofSeconds(1);
                        Duration next = Duration.ofNanos((long) (interval.toNanos() * 1.5));
                        interval = next.compareTo(cap) > 0 ? cap : next;
                    }
                } catch (MongoException e) {
                    if (closed) {
                        return;
                    }
                    if (!failing) {
                        LOG.warn("MongoDB result backend {}: waiting for results failed ({}); retrying with back-off",
                                display, e.getMessage());
                        failing = true;
                    }
                    closeStream();
                    recheckAll = true;
                    waitFor(errorBackoff);
                    Duration next = errorBackoff.multipliedBy(2);
                    errorBackoff = next.compareTo(ERROR_BACKOFF_MAX) > 0 ? ERROR_BACKOFF_MAX : next;
                } catch (RuntimeException e) {
                    if (closed) {
                        return;
                    }
                    LOG.error("MongoDB result backend {}: unexpected error while waiting for results", display, e);
                    recheckAll = true;
                    waitFor(errorBackoff);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeStream();
        }
    }

    private List<String> allWaiting() {
        lock.lock();
        try {
            fresh.clear();
            return new ArrayList<>(waiting.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** Waits {@code d} or until a new waiter comes or the waiter closes. */
    private void waitFor(Duration d) throws InterruptedException {
        lock.lock();
        try {
            long nanos = d.toNanos();
            while (!closed && fresh.isEmpty() && nanos > 0) {
                nanos = wake.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    private void openStream() {
        try {
            stream = source.openStream(MAX_AWAIT);
            streamOpen = true;
            LOG.debug("MongoDB result backend {}: waiting for results through a change stream", display);
        } catch (MongoCommandException e) {
            polling = true;
            LOG.info("MongoDB result backend {}: the server offers no change streams ({}: {}); polling for results "
                    + "instead", display, e.getErrorCode(), e.getErrorMessage());
        }
    }

    private void closeStream() {
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> s = stream;
        stream = null;
        streamOpen = false;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the change stream of {} failed: {}", display, e.toString());
            }
        }
    }

    /** Reads the ready ones of {@code ids} and completes their waiters; true when any completed. */
    private boolean check(List<String> ids) {
        boolean any = false;
        for (int i = 0; i < ids.size(); i += BATCH) {
            List<String> batch = ids.subList(i, Math.min(ids.size(), i + BATCH));
            Map<String, Object> ready = source.readReady(batch);
            for (Map.Entry<String, Object> e : ready.entrySet()) {
                Set<Waiter> set;
                lock.lock();
                try {
                    set = waiting.remove(e.getKey());
                } finally {
                    lock.unlock();
                }
                if (set == null) {
                    continue;
                }
                any = true;
                for (Waiter w : set) {
                    if (e.getValue() instanceof TaskMeta m) {
                        w.future().complete(m);
                    } else {
                        w.future().completeExceptionally((RuntimeException) e.getValue());
                    }
                }
            }
        }
        return any;
    }

    /** Stops the thread and fails every pending future. Idempotent. */
    void close() {
        List<Waiter> pending = new ArrayList<>();
        Thread t;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            waiting.values().forEach(pending::addAll);
            waiting.clear();
            fresh.clear();
            t = thread;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        for (Waiter w : pending) {
            w.future().completeExceptionally(closedError());
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
