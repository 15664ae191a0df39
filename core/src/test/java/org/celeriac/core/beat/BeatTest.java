package org.celeriac.core.beat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.celeriac.api.ApplyOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.memory.MemoryCoordination;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.serializer.json.JsonSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BeatTest {
    @TempDir
    Path dir;

    static final class Clock implements InstantSource {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }
    }

    record Sent(String task, List<Object> args, Map<String, Object> kwargs, ApplyOptions options) {
    }

    final Clock clock = new Clock();
    final List<Sent> sent = new CopyOnWriteArrayList<>();

    Beat.Builder beat(List<BeatEntry> entries) {
        return Beat.builder().entries(entries).clock(clock).json(JsonSerializer.INSTANCE)
                .sender((t, a, k, o) -> {
                    sent.add(new Sent(t, a, k, o));
                    return "id-" + sent.size();
                });
    }

    @Test
    void intervalEntriesRunEveryIntervalAndMissedRunsCoalesce() {
        Beat b = beat(List.of(BeatEntry.every("e", "tasks.tick", Duration.ofSeconds(10)))).build();
        assertThat(b.tick()).isEqualTo(Duration.ofSeconds(10));
        assertThat(sent).isEmpty();
        clock.advance(Duration.ofSeconds(9));
        b.tick();
        assertThat(sent).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(b.tick()).isEqualTo(Duration.ofSeconds(10));
        assertThat(sent).hasSize(1);
        clock.advance(Duration.ofSeconds(35)); // three runs missed
        b.tick();
        b.tick();
        assertThat(sent).hasSize(2);
        assertThat(b.state().get("e").totalRunCount()).isEqualTo(2);
    }

    @Test
    void argsKwargsAndOptionsAreSent() {
        BeatEntry e = BeatEntry.parse("add", Map.of("task", "tasks.add", "schedule", "PT1M", "args", List.of(2, 3),
                "kwargs", Map.of("z", 1), "options", Map.of("queue", "periodic", "expires", 30)));
        Beat b = beat(List.of(e)).build();
        b.tick();
        clock.advance(Duration.ofMinutes(1));
        b.tick();
        assertThat(sent).singleElement().satisfies(s -> {
            assertThat(s.task()).isEqualTo("tasks.add");
            assertThat(s.args()).containsExactly(2, 3);
            assertThat(s.kwargs()).containsEntry("z", 1);
            assertThat(s.options().queue()).isEqualTo("periodic");
            assertThat(s.options().expires()).isEqualTo(clock.instant().plusSeconds(30));
        });
    }

    @Test
    void crontabEntriesFireAtMatchingMinutes() {
        clock.now.set(Instant.parse("2026-01-01T23:58:30Z"));
        BeatEntry e = BeatEntry.parse("midnight", Map.of("task", "tasks.nightly", "schedule", Map.of("hour", "0")));
        Beat b = beat(List.of(e)).build();
        assertThat(b.tick()).isEqualTo(Duration.ofSeconds(90));
        clock.advance(Duration.ofSeconds(90));
        b.tick();
        clock.advance(Duration.ofSeconds(60));
        b.tick();
        assertThat(sent).hasSize(2);
    }

    @Test
    void restartNeitherRepeatsNorSkipsADueRun() {
        Path file = dir.resolve("celerybeat-schedule");
        List<BeatEntry> entries = List.of(BeatEntry.every("e", "tasks.tick", Duration.ofSeconds(10)));
        Beat first = beat(entries).stateFile(file).build();
        first.tick();
        clock.advance(Duration.ofSeconds(10));
        first.tick();
        first.close();
        assertThat(sent).hasSize(1);

        Beat second = beat(entries).stateFile(file).build();
        second.tick(); // same instant: already sent
        assertThat(sent).hasSize(1);
        clock.advance(Duration.ofSeconds(25)); // down across a due run: sent once on start
        second.tick();
        second.tick();
        assertThat(sent).hasSize(2);
        assertThat(second.state().get("e").totalRunCount()).isEqualTo(2);
    }

    @Test
    void corruptScheduleFileIsMovedAsideAndRebuilt() throws Exception {
        Path file = dir.resolve("celerybeat-schedule");
        Files.writeString(file, "\u0000shelve-db-garbage", StandardCharsets.ISO_8859_1);
        Beat b = beat(List.of(BeatEntry.every("e", "t", Duration.ofSeconds(5)))).stateFile(file).build();
        b.tick();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("celerybeat-schedule.corrupt-"));
        }
        assertThat(ScheduleState.decode(Files.readAllBytes(file), JsonSerializer.INSTANCE).get("e")).isNotNull();
    }

    @Test
    void removedEntriesAreDroppedFromTheState() {
        Path file = dir.resolve("s");
        Beat a = beat(List.of(BeatEntry.every("old", "t", Duration.ofSeconds(5)))).stateFile(file).build();
        a.tick();
        a.close();
        Beat b = beat(List.of(BeatEntry.every("new", "t", Duration.ofSeconds(5)))).stateFile(file).build();
        b.tick();
        assertThat(b.state()).containsOnlyKeys("new");
    }

    @Test
    void onlyTheLeaseHolderSendsAndAnotherTakesOverWhenItDies() {
        MemoryCoordination coord = new MemoryCoordination(clock);
        List<BeatEntry> entries = List.of(BeatEntry.every("e", "tasks.tick", Duration.ofSeconds(10)));
        Duration ttl = Duration.ofSeconds(30);
        Beat a = beat(entries).coordination(coord).owner("a").leaseTtl(ttl).build();
        Beat b = beat(entries).coordination(coord).owner("b").leaseTtl(ttl).build();
        assertThat(a.tick()).isEqualTo(Duration.ofSeconds(10)); // renew every ttl/3 = 10 s
        assertThat(b.tick()).isEqualTo(Duration.ofSeconds(10));
        assertThat(a.isLeader()).isTrue();
        assertThat(b.isLeader()).isFalse();
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(10));
            a.tick();
            b.tick();
        }
        assertThat(sent).hasSize(3);
        assertThat(b.isLeader()).isFalse();

        // a dies (stops ticking, never releases); b takes over once the lease expires
        clock.advance(Duration.ofSeconds(10));
        b.tick();
        assertThat(b.isLeader()).isFalse();
        assertThat(sent).hasSize(3);
        clock.advance(Duration.ofSeconds(21));
        b.tick();
        assertThat(b.isLeader()).isTrue();
        // b continues from the shared state: one coalesced run for the time nobody sent, not a repeat
        assertThat(sent).hasSize(4);
        assertThat(b.state().get("e").totalRunCount()).isEqualTo(4);

        // a comes back from a long pause: it cannot renew, so it does not send
        a.tick();
        assertThat(a.isLeader()).isFalse();
        assertThat(sent).hasSize(4);
    }

    @Test
    void closingReleasesTheLeaseForAnImmediateTakeover() {
        MemoryCoordination coord = new MemoryCoordination(clock);
        List<BeatEntry> entries = List.of(BeatEntry.every("e", "t", Duration.ofSeconds(10)));
        Beat a = beat(entries).coordination(coord).owner("a").build();
        Beat b = beat(entries).coordination(coord).owner("b").build();
        a.tick();
        b.tick();
        assertThat(b.isLeader()).isFalse();
        a.close();
        b.tick();
        assertThat(b.isLeader()).isTrue();
    }

    @Test
    void forAppReadsTheOldSettingNameAndSendsThroughTheClientRouting() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        try (Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of()))
                .set("task_routes", Map.of("reports.*", Map.of("queue", "reports")))
                .set("CELERYBEAT_SCHEDULE", Map.of(
                        "routed", Map.of("task", "reports.daily", "schedule", 10),
                        "queued", Map.of("task", "tasks.add", "schedule", "10s", "args", List.of(1, 2),
                                "options", Map.of("queue", "periodic"))))
                .build()) {
            Beat beat = Beat.forApp(app, dir.resolve("celerybeat-schedule"), clock);
            assertThat(app.resultBackend().orElseThrow().capabilities().nativeExpiry()).isFalse();
            assertThat(beat.entries()).extracting(BeatEntry::name)
                    .as("backends without native expiry get Celery's nightly celery.backend_cleanup")
                    .containsExactlyInAnyOrder("routed", "queued", Beat.BACKEND_CLEANUP);
            beat.tick();
            clock.advance(Duration.ofSeconds(10));
            beat.tick();
            assertThat(beat.isLeader()).isTrue();
            assertThat(app.broker().messageCount("reports")).isEqualTo(1);
            assertThat(app.broker().messageCount("periodic")).isEqualTo(1);
            beat.close();
            assertThat(Files.exists(dir.resolve("celerybeat-schedule"))).isTrue();
        }
    }

    @Test
    void celeryconfigPyCrontabAndTimedeltaCallsAreRead() throws Exception {
        Path py = dir.resolve("celeryconfig.py");
        Files.writeString(py, """
                from celery.schedules import crontab
                from datetime import timedelta
                CELERY_BEAT_SCHEDULE = {
                    'weekdays': {'task': 'tasks.report', 'schedule': crontab(hour='0', day_of_week='mon-fri'),
                                 'options': {'expires': 60}},
                    'often': {'task': 'tasks.ping', 'schedule': timedelta(seconds=30), 'kwargs': {'x': 1}},
                    'positional': {'task': 'tasks.p', 'schedule': crontab('*/15', '9-17')},
                }
                """);
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        try (Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of())).configFile(py).build()) {
            List<BeatEntry> entries = BeatEntry.parseAll(app.settings().raw("beat_schedule").orElse(null));
            assertThat(entries).extracting(BeatEntry::name).containsExactly("weekdays", "often", "positional");
            Crontab weekdays = (Crontab) entries.get(0).schedule();
            assertThat(weekdays.hours()).containsExactly(0);
            assertThat(weekdays.minutes()).hasSize(60);
            assertThat(weekdays.daysOfWeek()).containsExactly(1, 2, 3, 4, 5);
            assertThat(entries.get(1).schedule()).isEqualTo(new Interval(Duration.ofSeconds(30)));
            Crontab positional = (Crontab) entries.get(2).schedule();
            assertThat(positional.minutes()).containsExactly(0, 15, 30, 45);
            assertThat(positional.hours()).hasSize(9);
        }
    }

    @Test
    void aSlowSendRenewsTheLeaseAndALostLeaseStopsTheRound() {
        MemoryCoordination coord = new MemoryCoordination(clock);
        Duration ttl = Duration.ofSeconds(30);
        List<BeatEntry> entries = List.of(BeatEntry.every("a", "t.a", Duration.ofSeconds(10)),
                BeatEntry.every("b", "t.b", Duration.ofSeconds(10)));
        // every send takes 20 s: the beat must renew between the two sends
        Beat slow = Beat.builder().entries(entries).clock(clock).json(JsonSerializer.INSTANCE).coordination(coord)
                .owner("slow").leaseTtl(ttl).sender((t, a, k, o) -> {
                    sent.add(new Sent(t, a, k, o));
                    clock.advance(Duration.ofSeconds(20));
                    return "x";
                }).build();
        slow.tick();
        clock.advance(Duration.ofSeconds(10));
        slow.tick();
        assertThat(sent).hasSize(2);
        // at 40 s after its last renewal (at 20 s) it still holds the lease, renewed before the second send
        assertThat(coord.tryAcquireLease(Beat.LEASE, "other", ttl)).isFalse();

        // another beat cannot send while the slow one holds the lease
        Beat stale = Beat.builder().entries(entries).clock(clock).json(JsonSerializer.INSTANCE).coordination(coord)
                .owner("stale").leaseTtl(ttl).sender((t, a, k, o) -> {
                    sent.add(new Sent(t, a, k, o));
                    return "x";
                }).build();
        stale.tick();
        assertThat(stale.isLeader()).isFalse();
        assertThat(sent).hasSize(2);
    }

    @Test
    void theBackgroundLoopSendsUntilClosedAndThenReleasesTheLease() {
        MemoryCoordination coord = new MemoryCoordination(InstantSource.system());
        Beat b = Beat.builder().entries(List.of(BeatEntry.every("e", "t", Duration.ofMillis(50))))
                .json(JsonSerializer.INSTANCE).coordination(coord).owner("loop")
                .sender((t, a, k, o) -> {
                    sent.add(new Sent(t, a, k, o));
                    return "x";
                }).build();
        b.start();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() >= 3);
        b.close();
        int after = sent.size();
        assertThat(coord.tryAcquireLease(Beat.LEASE, "next", Duration.ofSeconds(30))).isTrue();
        assertThat(sent).hasSize(after);
    }

    @Test
    void yamlAndPropertiesFormsAreRead() throws Exception {
        Path yaml = dir.resolve("celeriac.yaml");
        Files.writeString(yaml, """
                beat_schedule:
                  nightly:
                    task: tasks.cleanup
                    schedule: {minute: 30, hour: 2, day_of_week: sat-sun}
                    options: {queue: maintenance, expires: PT1H}
                  often:
                    task: tasks.ping
                    schedule: PT30S
                """);
        Path props = dir.resolve("celeriac.properties");
        Files.writeString(props, "celeriac.beat_schedule={'n': {'task': 't', 'schedule': crontab(minute='0', "
                + "hour='*/6')}, 'i': {'task': 'u', 'schedule': 90}}\n");
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        for (Path file : List.of(yaml, props)) {
            try (Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                    .registry(TaskRegistry.of(List.of())).configFile(file).build()) {
                List<BeatEntry> entries = BeatEntry.parseAll(app.settings().raw("beat_schedule").orElse(null));
                assertThat(entries).as(file.toString()).hasSize(2);
                Crontab c = (Crontab) entries.get(0).schedule();
                BeatSchedule i = entries.get(1).schedule();
                if (file == yaml) {
                    assertThat(c.daysOfWeek()).containsExactly(0, 6);
                    assertThat(entries.get(0).applyOptions(clock.instant()).expires())
                            .isEqualTo(clock.instant().plusSeconds(3600));
                    assertThat(i).isEqualTo(new Interval(Duration.ofSeconds(30)));
                } else {
                    assertThat(c.hours()).containsExactly(0, 6, 12, 18);
                    assertThat(i).isEqualTo(new Interval(Duration.ofSeconds(90)));
                }
            }
        }
    }
}
