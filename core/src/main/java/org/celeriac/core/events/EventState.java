package org.celeriac.core.events;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state of the cluster as events tell it ({@code celery/events/state.py State}), in memory: workers with their
 * last heartbeat ({@code alive} while the last one is younger than twice its {@code freq}, Celery's
 * {@code HEARTBEAT_EXPIRE_WINDOW} of 200 %, and no {@code worker-offline} came), and the most recent tasks with
 * the state their last event gives. Feed it every received event with {@link #event}. Thread-safe.
 */
public final class EventState {
    /** Celery's {@code HEARTBEAT_EXPIRE_WINDOW}: a worker is gone after 2 x freq without a heartbeat. */
    public static final double EXPIRE_WINDOW = 2.0;

    private final int maxTasks;
    private final Map<String, WorkerInfo> workers = new TreeMap<>();
    private final LinkedHashMap<String, TaskInfo> tasks;

    /**
     * A worker as its last {@code worker-*} event (or task event) described it.
     *
     * @param hostname node name
     * @param freq heartbeat interval, seconds (2.0 when unknown)
     * @param active tasks running at the last heartbeat
     * @param processed tasks processed at the last heartbeat
     * @param loadavg 1/5/15 min load; empty when unknown
     * @param software {@code sw_ident sw_ver} (e.g. {@code py-celery 5.2.6}), or empty
     * @param lastSeen unix seconds of the last event from it (local receive time)
     * @param offline whether {@code worker-offline} was received last
     */
    public record WorkerInfo(String hostname, double freq, long active, long processed, List<Double> loadavg,
                             String software, double lastSeen, boolean offline) {
        /** Online: no {@code worker-offline}, and a heartbeat within {@code freq x 2} of {@code now}. */
        public boolean alive(double now) {
            return !offline && now <= lastSeen + freq * EXPIRE_WINDOW;
        }
    }

    /**
     * A task as its events described it.
     *
     * @param uuid task id
     * @param name task name (from {@code task-received}/{@code task-sent}); null when not seen
     * @param state Celery's state name: {@code PENDING} (sent), {@code RECEIVED}, {@code STARTED}, {@code SUCCESS},
     *        {@code FAILURE}, {@code RETRY}, {@code REVOKED}, {@code REJECTED}
     * @param hostname the worker of its last event
     * @param args args repr, or null
     * @param kwargs kwargs repr, or null
     * @param result result repr (SUCCESS), or null
     * @param exception exception repr (FAILURE, RETRY), or null
     * @param runtime seconds (SUCCESS), or null
     * @param lastSeen unix seconds of its last event (local receive time)
     */
    public record TaskInfo(String uuid, String name, String state, String hostname, String args, String kwargs,
                           String result, String exception, Double runtime, double lastSeen) {
    }

    /** Keeps at most {@code maxTasks} tasks (the oldest are forgotten first). */
    public EventState(int maxTasks) {
        if (maxTasks < 1) {
            throw new IllegalArgumentException("maxTasks must be >= 1, got " + maxTasks);
        }
        this.maxTasks = maxTasks;
        this.tasks = new LinkedHashMap<>(64, 0.75f, false);
    }

    /** Applies one received event (with {@code type}; {@code local_received} is used as the time when present). */
    public synchronized void event(Map<String, ?> e) {
        Object t = e.get("type");
        if (!(t instanceof String type)) {
            return;
        }
        String host = e.get("hostname") == null ? null : String.valueOf(e.get("hostname"));
        double now = num(e.get("local_received"), num(e.get("timestamp"), System.currentTimeMillis() / 1000.0));
        if (type.startsWith("worker-") && host != null) {
            WorkerInfo old = workers.get(host);
            String sw = e.get("sw_ident") == null ? old == null ? "" : old.software()
                    : e.get("sw_ident") + " " + (e.get("sw_ver") == null ? "" : e.get("sw_ver"));
            List<Double> load = new ArrayList<>();
            if (e.get("loadavg") instanceof List<?> l) {
                l.forEach(x -> load.add(num(x, 0.0)));
            }
            workers.put(host, new WorkerInfo(host, num(e.get("freq"), old == null ? 2.0 : old.freq()),
                    (long) num(e.get("active"), 0), (long) num(e.get("processed"), old == null ? 0 : old.processed()),
                    List.copyOf(load), sw.trim(), now, type.equals("worker-offline")));
        } else if (type.startsWith("task-") && e.get("uuid") != null) {
            String uuid = String.valueOf(e.get("uuid"));
            TaskInfo old = tasks.remove(uuid);
            String state = switch (type) {
                case "task-sent" -> "PENDING";
                case "task-received" -> "RECEIVED";
                case "task-started" -> "STARTED";
                case "task-succeeded" -> "SUCCESS";
                case "task-failed" -> "FAILURE";
                case "task-retried" -> "RETRY";
                case "task-revoked" -> "REVOKED";
                case "task-rejected" -> "REJECTED";
                default -> old == null ? "PENDING" : old.state();
            };
            tasks.put(uuid, new TaskInfo(uuid, str(e.get("name"), old == null ? null : old.name()), state,
                    host != null ? host : old == null ? null : old.hostname(),
                    str(e.get("args"), old == null ? null : old.args()), str(e.get("kwargs"), old == null ? null : old.kwargs()),
                    str(e.get("result"), old == null ? null : old.result()),
                    str(e.get("exception"), old == null ? null : old.exception()),
                    e.get("runtime") instanceof Number n ? n.doubleValue() : old == null ? null : old.runtime(), now));
            while (tasks.size() > maxTasks) {
                tasks.remove(tasks.keySet().iterator().next());
            }
            if (host != null && workers.get(host) instanceof WorkerInfo w && !w.offline()) {
                workers.put(host, new WorkerInfo(w.hostname(), w.freq(), w.active(), w.processed(), w.loadavg(),
                        w.software(), Math.max(w.lastSeen(), now), false));
            }
        }
    }

    /** The workers seen, by node name. */
    public synchronized List<WorkerInfo> workers() {
        return List.copyOf(workers.values());
    }

    /** The tasks seen, the one with the most recent event last; at most {@code limit} of them. */
    public synchronized List<TaskInfo> tasks(int limit) {
        List<TaskInfo> all = new ArrayList<>(tasks.values());
        return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
    }

    /** A task by id, or null. */
    public synchronized TaskInfo task(String uuid) {
        return tasks.get(uuid);
    }

    private static double num(Object v, double dflt) {
        return v instanceof Number n ? n.doubleValue() : dflt;
    }

    private static String str(Object v, String dflt) {
        return v == null ? dflt : String.valueOf(v);
    }
}
