package org.celeriac.core.beat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.ApplyOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.Settings;
import org.celeriac.spi.coordination.Coordination;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic task scheduler ({@code celery.beat.Scheduler} / {@code PersistentScheduler} plus
 * {@code Service}): sends each {@link BeatEntry} when due through the normal client path, keeps the run
 * state in a JSON file (and, when a {@link Coordination} is available, in the shared store) so that a
 * restart neither repeats nor skips a run, and coalesces runs missed while down into one (the entry's
 * last run becomes "now" when it is sent, as in Celery).
 *
 * <p>Unlike Celery, several beats may run safely: with a {@link Coordination} only the holder of the
 * lease {@code celeriac.beat.leader} sends; it renews every third of the lease's time to live, and a beat
 * that fails to renew stops sending at once. Another beat takes the lease over at most one TTL (plus one
 * renewal period) after the holder dies, and continues from the shared run state.
 *
 * <p>{@link #tick()} does one round and is what tests drive with a controllable clock; {@link #start()}
 * runs ticks on a daemon thread. Thread-safe (ticks are serialised).
 */
public final class Beat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Beat.class);
    /** The lease every beat of a cluster competes for. */
    public static final String LEASE = "celeriac.beat.leader";
    /** The shared-store key of the run state. */
    public static final String STATE_KEY = "celeriac.beat.state";
    /** Celery's default {@code beat_max_loop_interval} (300 s). */
    public static final Duration DEFAULT_MAX_LOOP = Duration.ofMinutes(5);
    /** The entry (and task) Celery adds for result backends without native expiry. */
    public static final String BACKEND_CLEANUP = "celery.backend_cleanup";
    /** The default lease time to live ({@code beat_lease_ttl}). */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);

    /** Sends one task; {@link #forApp} uses {@code Celeriac.sendTask}. */
    @FunctionalInterface
    public interface TaskSender {
        /**
         * @return the task id sent
         * @throws RuntimeException when sending failed (logged; the run still counts, as in Celery)
         */
        String send(String task, List<Object> args, Map<String, Object> kwargs, ApplyOptions options);
    }

    private final List<BeatEntry> entries;
    private final TaskSender sender;
    private final Path stateFile;
    private final Serializer json;
    private final Coordination coordination;
    private final InstantSource clock;
    private final ZoneId zone;
    private final String owner;
    private final Duration leaseTtl;
    private final Duration maxLoop;
    private ScheduleState state;
    private boolean leader;
    private Instant leaseAt;
    private volatile boolean stopped;
    private Thread thread;
    private final Object sleepLock = new Object();

    private Beat(Builder b) {
        this.entries = List.copyOf(b.entries);
        this.sender = Objects.requireNonNull(b.sender, "sender");
        this.stateFile = b.stateFile;
        this.json = b.json;
        if (json == null && (stateFile != null || b.coordination != null)) {
            throw new IllegalArgumentException("persisting beat state needs a JSON serializer");
        }
        this.coordination = b.coordination;
        this.clock = b.clock;
        this.zone = b.zone;
        this.owner = b.owner != null ? b.owner : "beat-" + UUID.randomUUID();
        this.leaseTtl = b.leaseTtl;
        this.maxLoop = b.maxLoop;
        if (leaseTtl.isZero() || leaseTtl.isNegative()) {
            throw new IllegalArgumentException("beat_lease_ttl must be positive, was " + leaseTtl);
        }
        this.state = stateFile != null ? ScheduleState.load(stateFile, json) : new ScheduleState();
        this.state.retain(entries.stream().map(BeatEntry::name).toList());
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A beat for {@code app}: entries from {@code beat_schedule} and the {@link PeriodicTask} annotations of
     * the app's tasks (plus Celery's nightly {@code celery.backend_cleanup} when the result backend has no
     * native expiry); crontabs in {@code timezone} (UTC when unset, local time when {@code enable_utc} is
     * false); {@code beat_max_loop_interval}; {@code beat_lease_ttl} (default 30 s) on the broker's
     * coordination, else the result backend's (none: no leader election, with a warning); tasks sent with
     * {@link Celeriac#sendTask}, so routing applies.
     *
     * @param scheduleFile the state file; null means {@code beat_schedule_filename} or {@code celerybeat-schedule}
     * @throws IllegalArgumentException when {@code beat_schedule} is malformed
     */
    public static Beat forApp(Celeriac app, Path scheduleFile) {
        return forApp(app, scheduleFile, InstantSource.system());
    }

    static Beat forApp(Celeriac app, Path scheduleFile, InstantSource clock) {
        Settings s = app.settings();
        Path file = scheduleFile != null ? scheduleFile
                : Path.of(s.string("beat_schedule_filename", "celerybeat-schedule"));
        Optional<Coordination> coord = app.broker().coordination()
                .or(() -> app.resultBackend().flatMap(r -> r.coordination()));
        if (coord.isEmpty()) {
            LOG.warn("beat: neither the broker nor the result backend offers leases; run a single beat only");
        }
        Duration maxLoop = s.duration("beat_max_loop_interval", DEFAULT_MAX_LOOP);
        if (maxLoop == null || maxLoop.isZero()) {
            maxLoop = DEFAULT_MAX_LOOP;
        }
        List<BeatEntry> entries = new ArrayList<>(BeatEntry.parseAll(s.raw("beat_schedule").orElse(null)));
        for (BeatEntry annotated : BeatEntry.fromAnnotations(app.registry().definitions())) {
            if (entries.stream().noneMatch(e -> e.name().equals(annotated.name()))) {
                entries.add(annotated);
            }
        }
        // Celery's install_default_entries: backends without native expiry get a nightly cleanup
        if (app.resultBackend().map(r -> !r.capabilities().nativeExpiry()).orElse(false)
                && s.duration("result_expires", Duration.ofDays(1)) != null
                && entries.stream().noneMatch(e -> e.name().equals(BACKEND_CLEANUP))) {
            entries.add(new BeatEntry(BACKEND_CLEANUP, BACKEND_CLEANUP, Crontab.of("0", "4", "*", null, null),
                    List.of(), Map.of(), Map.of("expires", 12 * 3600)));
        }
        Builder b = builder().entries(entries)
                .stateFile(file).json(app.components().serializer("json"))
                .coordination(coord.orElse(null)).clock(clock).zone(zone(s)).maxLoop(maxLoop)
                .leaseTtl(Optional.ofNullable(s.duration("beat_lease_ttl", DEFAULT_LEASE_TTL))
                        .orElse(DEFAULT_LEASE_TTL))
                .sender((task, args, kwargs, options) -> {
                    var r = app.sendTask(task, args, kwargs, options);
                    try {
                        Celeriac.published(r).get(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while publishing " + task, e);
                    } catch (Exception e) {
                        throw new IllegalStateException("publishing " + task + " failed: " + e.getMessage(), e);
                    }
                    return r.id();
                });
        return b.build();
    }

    private static ZoneId zone(Settings s) {
        String tz = s.string("timezone").filter(t -> !t.isBlank()).orElse(null);
        if (tz == null) { // Celery: UTC when enable_utc (the default), else the machine's local time
            return s.bool("enable_utc", true) ? ZoneOffset.UTC : ZoneId.systemDefault();
        }
        try {
            return ZoneId.of(tz);
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("timezone '" + tz + "' is not a time zone name such as Europe/Paris", e);
        }
    }

    /** The configured entries. */
    public List<BeatEntry> entries() {
        return entries;
    }

    /** This beat's lease owner id. */
    public String owner() {
        return owner;
    }

    /** True when the last tick held the lease (always true without coordination). */
    public synchronized boolean isLeader() {
        return leader;
    }

    /** A copy of the run state. */
    public synchronized Map<String, ScheduleState.Run> state() {
        return state.asMap();
    }

    /**
     * One scheduling round: takes or renews the lease, sends every due entry, saves the state when it
     * changed. Blocks while sending and saving.
     *
     * @return how long to wait before the next round (until the next due entry, at most
     *     {@code beat_max_loop_interval} and, with a lease, a third of its TTL); never negative
     */
    public synchronized Duration tick() {
        Instant now = clock.instant();
        Duration renewEvery = leaseTtl.dividedBy(3);
        if (coordination != null) {
            boolean held;
            try {
                held = coordination.tryAcquireLease(LEASE, owner, leaseTtl);
            } catch (RuntimeException e) {
                LOG.warn("beat: could not renew the leader lease ({}); not sending until it is renewed",
                        e.getMessage());
                held = false;
            }
            if (held) {
                leaseAt = now;
            } else {
                if (leader) {
                    LOG.warn("beat: {} lost the leader lease; another beat sends now", owner);
                }
                leader = false;
                return renewEvery;
            }
            if (!leader) {
                LOG.info("beat: {} is the leader now", owner);
                try {
                    coordination.get(STATE_KEY)
                            .ifPresent(bytes -> state.mergeLatest(ScheduleState.decode(bytes, json)));
                } catch (RuntimeException e) {
                    LOG.warn("beat: the shared schedule state is unreadable ({}); using the local one", e.getMessage());
                }
            }
        }
        leader = true;
        boolean dirty = false;
        Duration wait = maxLoop;
        for (BeatEntry e : entries) {
            ScheduleState.Run run = state.get(e.name());
            if (run == null) {
                run = new ScheduleState.Run(now, 0);
                state.put(e.name(), run);
                dirty = true;
            }
            Instant next = e.schedule().nextAfter(run.lastRunAt(), zone);
            if (!next.isAfter(now)) {
                if (!stillLeader(renewEvery)) {
                    break;
                }
                send(e, now);
                run = new ScheduleState.Run(now, run.totalRunCount() + 1);
                state.put(e.name(), run);
                dirty = true;
                next = e.schedule().nextAfter(now, zone);
            }
            Duration until = Duration.between(now, next);
            if (until.compareTo(wait) < 0) {
                wait = until;
            }
        }
        if (dirty) {
            persist();
        }
        if (!leader) {
            return renewEvery;
        }
        if (coordination != null && renewEvery.compareTo(wait) < 0) {
            wait = renewEvery;
        }
        return wait.isNegative() ? Duration.ZERO : wait;
    }

    /** Renews the lease when a third of its TTL has passed since the last renewal (slow sends); false when lost. */
    private boolean stillLeader(Duration renewEvery) {
        if (coordination == null) {
            return true;
        }
        Instant now = clock.instant();
        if (Duration.between(leaseAt, now).compareTo(renewEvery) < 0) {
            return true;
        }
        boolean held;
        try {
            held = coordination.tryAcquireLease(LEASE, owner, leaseTtl);
        } catch (RuntimeException ex) {
            LOG.warn("beat: could not renew the leader lease ({}); not sending until it is renewed", ex.getMessage());
            held = false;
        }
        if (held) {
            leaseAt = now;
        } else {
            LOG.warn("beat: {} lost the leader lease while sending; another beat sends now", owner);
            leader = false;
        }
        return held;
    }

    private void send(BeatEntry e, Instant now) {
        try {
            String id = sender.send(e.task(), e.args(), e.kwargs(), e.applyOptions(now));
            LOG.info("Scheduler: Sending due task {} ({}) id {}", e.name(), e.task(), id);
        } catch (RuntimeException ex) {
            LOG.error("beat: Message Error: couldn't apply scheduled task {}: {}", e.name(), ex.getMessage(), ex);
        }
    }

    private void persist() {
        if (stateFile != null) {
            try {
                state.save(stateFile, json);
            } catch (IOException ex) {
                LOG.error("beat: could not write the schedule file {}: {}; fix its directory's permissions or pass "
                        + "--schedule", stateFile, ex.getMessage());
            }
        }
        if (coordination != null && leader) { // a beat that lost the lease must not overwrite the new leader's state
            try {
                coordination.put(STATE_KEY, state.encode(json), null);
            } catch (RuntimeException ex) {
                LOG.warn("beat: could not store the schedule state in the shared store: {}", ex.getMessage());
            }
        }
    }

    /** Runs ticks on a daemon thread named {@code celeriac-beat} until {@link #close()}. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("beat already started");
        }
        thread = Thread.ofPlatform().daemon().name("celeriac-beat").start(this::loop);
    }

    private void loop() {
        LOG.info("beat: Starting... ({} entries)", entries.size());
        while (!stopped) {
            Duration wait;
            try {
                wait = tick();
            } catch (RuntimeException e) {
                LOG.error("beat: tick failed: {}", e.getMessage(), e);
                wait = Duration.ofSeconds(1);
            }
            synchronized (sleepLock) {
                if (stopped) {
                    break;
                }
                try {
                    long ms = Math.max(1, Math.min(wait.toMillis(), maxLoop.toMillis()));
                    sleepLock.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    /**
     * Blocks the calling thread until {@link #close()} is called from another thread.
     *
     * @throws InterruptedException when interrupted
     */
    public void join() throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.join();
        }
    }

    /** Stops the loop, saves the state and gives the lease up. Idempotent. */
    @Override
    public void close() {
        stopped = true;
        synchronized (sleepLock) {
            sleepLock.notifyAll();
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (leader) {
                persist();
                if (coordination != null) {
                    try {
                        coordination.releaseLease(LEASE, owner);
                    } catch (RuntimeException e) {
                        LOG.warn("beat: could not release the leader lease: {}", e.getMessage());
                    }
                }
                leader = false;
            }
        }
    }

    /** Builds a {@link Beat}; only {@code sender} is required. Not thread-safe. */
    public static final class Builder {
        private final List<BeatEntry> entries = new ArrayList<>();
        private TaskSender sender;
        private Path stateFile;
        private Serializer json;
        private Coordination coordination;
        private InstantSource clock = InstantSource.system();
        private ZoneId zone = ZoneOffset.UTC;
        private String owner;
        private Duration leaseTtl = DEFAULT_LEASE_TTL;
        private Duration maxLoop = DEFAULT_MAX_LOOP;

        private Builder() {
        }

        /** Adds entries. */
        public Builder entries(List<BeatEntry> v) {
            entries.addAll(v);
            return this;
        }

        /** How tasks are sent. */
        public Builder sender(TaskSender v) {
            sender = v;
            return this;
        }

        /** The JSON state file; null keeps state in memory (and the shared store) only. */
        public Builder stateFile(Path v) {
            stateFile = v;
            return this;
        }

        /** The JSON serializer for the state (required with a file or coordination). */
        public Builder json(Serializer v) {
            json = v;
            return this;
        }

        /** The store of the lease and shared state; null disables leader election. */
        public Builder coordination(Coordination v) {
            coordination = v;
            return this;
        }

        /** The clock (tests pass a controllable one). */
        public Builder clock(InstantSource v) {
            clock = Objects.requireNonNull(v);
            return this;
        }

        /** The time zone crontabs are evaluated in. */
        public Builder zone(ZoneId v) {
            zone = Objects.requireNonNull(v);
            return this;
        }

        /** This beat's lease owner id (default a random one). */
        public Builder owner(String v) {
            owner = v;
            return this;
        }

        /** The lease TTL. */
        public Builder leaseTtl(Duration v) {
            leaseTtl = Objects.requireNonNull(v);
            return this;
        }

        /** The longest sleep between rounds. */
        public Builder maxLoop(Duration v) {
            maxLoop = Objects.requireNonNull(v);
            return this;
        }

        /** @throws IllegalArgumentException on an inconsistent configuration */
        public Beat build() {
            return new Beat(this);
        }
    }
}
