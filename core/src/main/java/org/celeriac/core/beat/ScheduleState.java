package org.celeriac.core.beat;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Beat's run state ({@code last_run_at}, {@code total_run_count} per entry), as Celery's
 * {@code PersistentScheduler} keeps it, stored as JSON (not Python's shelve, which is not portable):
 * {@code {"__version__": "celeriac-1", "entries": {name: {"last_run_at": ISO, "total_run_count": n}}}}.
 * Not thread-safe (beat's single thread owns it).
 */
public final class ScheduleState {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleState.class);
    static final String VERSION = "celeriac-1";

    /** The state of one entry. */
    public record Run(Instant lastRunAt, long totalRunCount) {
        public Run {
            Objects.requireNonNull(lastRunAt, "lastRunAt");
        }
    }

    private final Map<String, Run> runs = new LinkedHashMap<>();

    /** The state of entry {@code name}, or null when never seen. */
    public Run get(String name) {
        return runs.get(name);
    }

    /** Sets the state of entry {@code name}. */
    public void put(String name, Run run) {
        runs.put(name, Objects.requireNonNull(run, "run"));
    }

    /** Keeps only the named entries (Celery's {@code merge_inplace} drops entries no longer configured). */
    public void retain(java.util.Collection<String> names) {
        runs.keySet().retainAll(names);
    }

    /** A copy of all entries' state. */
    public Map<String, Run> asMap() {
        return Map.copyOf(runs);
    }

    /**
     * Takes, for every entry, the later of this and {@code other}'s last run (used when a beat becomes
     * leader and another beat's state is in the shared store).
     */
    public void mergeLatest(ScheduleState other) {
        other.runs.forEach((name, r) -> {
            Run mine = runs.get(name);
            if (mine == null || r.lastRunAt().isAfter(mine.lastRunAt())) {
                runs.put(name, r);
            }
        });
    }

    /** This state as JSON bytes, via {@code json} (a JSON {@link Serializer}). */
    public byte[] encode(Serializer json) {
        Map<String, Object> entries = new LinkedHashMap<>();
        runs.forEach((k, r) -> entries.put(k, Map.of("last_run_at", r.lastRunAt().toString(),
                "total_run_count", r.totalRunCount())));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("__version__", VERSION);
        doc.put("entries", entries);
        return json.encode(doc);
    }

    /**
     * Reads the JSON written by {@link #encode}.
     *
     * @throws IllegalArgumentException when the bytes are not such a document
     */
    public static ScheduleState decode(byte[] data, Serializer json) {
        Object doc;
        try {
            doc = json.decode(data);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (!(doc instanceof Map<?, ?> m) || !VERSION.equals(m.get("__version__"))
                || !(m.get("entries") instanceof Map<?, ?> entries)) {
            throw new IllegalArgumentException("not a celeriac beat schedule (expected __version__ " + VERSION + ")");
        }
        ScheduleState s = new ScheduleState();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> r) || r.get("last_run_at") == null) {
                throw new IllegalArgumentException("entry '" + e.getKey() + "' has no last_run_at");
            }
            try {
                Object count = r.get("total_run_count");
                s.put(String.valueOf(e.getKey()), new Run(Instant.parse(String.valueOf(r.get("last_run_at"))),
                        count instanceof Number n ? n.longValue() : 0));
            } catch (java.time.DateTimeException ex) {
                throw new IllegalArgumentException("entry '" + e.getKey() + "': bad last_run_at", ex);
            }
        }
        return s;
    }

    /**
     * Loads the state file; a missing file gives an empty state, a corrupt one is moved aside to
     * {@code <file>.corrupt-<epoch millis>} with a warning and an empty state is returned. Blocks on file I/O.
     */
    public static ScheduleState load(Path file, Serializer json) {
        if (!Files.exists(file)) {
            return new ScheduleState();
        }
        try {
            return decode(Files.readAllBytes(file), json);
        } catch (IOException | IllegalArgumentException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + System.currentTimeMillis());
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                LOG.warn("beat: schedule file {} is unreadable ({}); moved it to {} and starting a new schedule",
                        file, e.getMessage(), aside);
            } catch (IOException moveFailed) {
                LOG.warn("beat: schedule file {} is unreadable ({}) and could not be moved aside ({}); "
                        + "starting a new schedule", file, e.getMessage(), moveFailed.getMessage());
            }
            return new ScheduleState();
        }
    }

    /**
     * Writes the state file atomically (a temporary file renamed over it). Blocks on file I/O.
     *
     * @throws IOException when the directory is not writable
     */
    public void save(Path file, Serializer json) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, encode(json));
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
