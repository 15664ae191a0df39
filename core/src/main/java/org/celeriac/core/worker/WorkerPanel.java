package org.celeriac.core.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.celeriac.api.RateLimit;
import org.celeriac.api.TaskDefinition;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlException;
import org.celeriac.core.control.ControlHandler;
import org.celeriac.core.control.ControlServer;
import org.celeriac.core.events.WorkerEvents;
import org.celeriac.core.protocol.PyRepr;
import org.celeriac.spi.ConnectionUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's remote-control commands ({@code celery/worker/control.py Panel}), with Celery's argument names
 * and reply shapes, over a {@link Worker}'s state. Used by the worker's {@link ControlServer}, on its thread.
 */
final class WorkerPanel {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker.control");
    /** Celery's {@code HIDDEN_SETTINGS} ({@code celery/app/utils.py}). */
    private static final Pattern HIDDEN = Pattern.compile("API|TOKEN|KEY|SECRET|PASS|PROFANITIES_LIST|SIGNATURE|DATABASE",
            Pattern.CASE_INSENSITIVE);
    private static final String MASK = "********";
    /** The timer priority Celery's consumer gives ETA entries ({@code call_at(..., priority=6)}). */
    private static final int ETA_PRIORITY = 6;

    private final Worker worker;
    private final Celeriac app;

    WorkerPanel(Worker worker, Celeriac app) {
        this.worker = worker;
        this.app = app;
    }

    /** Command name (and Celery's aliases) to handler. */
    Map<String, ControlHandler> handlers() {
        Map<String, ControlHandler> h = new LinkedHashMap<>();
        // inspect
        h.put("ping", a -> ok("pong"));
        h.put("stats", a -> stats());
        h.put("active", a -> active(truthy(a.get("safe"))));
        h.put("reserved", a -> worker.reservedRequests().stream().map(r -> info(r, false)).toList());
        h.put("scheduled", a -> scheduled());
        h.put("revoked", a -> worker.revokedSet().ids());
        h.put("registered", a -> registered(a.get("taskinfoitems"), truthy(a.get("builtins"))));
        h.put("query_task", a -> queryTask(a.get("ids")));
        h.put("active_queues", a -> activeQueues());
        h.put("clock", a -> Map.of("clock", worker.clock().value()));
        h.put("conf", a -> conf());
        h.put("report", a -> ok(report()));
        h.put("hello", this::hello);
        // control
        h.put("revoke", a -> revoke(a.get("task_id"), truthy(a.get("terminate")), a.get("signal")));
        h.put("terminate", a -> revoke(a.get("task_id"), true, a.get("signal")));
        h.put("rate_limit", a -> rateLimit(str(a.get("task_name")), a.get("rate_limit")));
        h.put("time_limit", a -> timeLimit(str(a.get("task_name")), num(a.get("soft")), num(a.get("hard"))));
        h.put("enable_events", a -> ok(setTaskEvents(true) ? "task events already enabled" : "task events enabled"));
        h.put("disable_events", a -> ok(setTaskEvents(false) ? "task events disabled" : "task events already disabled"));
        h.put("heartbeat", a -> {
            LOG.debug("Heartbeat requested by remote.");
            WorkerEvents.of(worker).ifPresent(WorkerEvents::sendHeartbeat);
            return null;
        });
        h.put("election", a -> null); // no gossip on the JVM worker
        h.put("add_consumer", a -> {
            String q = str(a.get("queue"));
            if (q == null || q.isEmpty()) {
                throw new ControlException("TypeError", "add_consumer() missing 1 required positional argument: 'queue'");
            }
            worker.addConsumer(q, str(a.get("exchange")), str(a.get("exchange_type")), str(a.get("routing_key")));
            return ok("add consumer " + q);
        });
        h.put("cancel_consumer", a -> {
            String q = str(a.get("queue"));
            worker.cancelConsumer(q);
            return ok("no longer consuming from " + q);
        });
        h.put("pool_grow", a -> {
            requireResizablePool("grow");
            worker.grow(count(a.get("n")));
            return ok("pool will grow");
        });
        h.put("pool_shrink", a -> {
            requireResizablePool("shrink");
            worker.shrink(count(a.get("n")));
            return ok("pool will shrink");
        });
        h.put("autoscale", a -> {
            Autoscaler as = worker.autoscaler().orElseThrow(
                    () -> new ControlException("ValueError", "Autoscale not enabled"));
            Double max = num(a.get("max"));
            Double min = num(a.get("min"));
            try {
                as.update(max == null ? null : max.intValue(), min == null ? null : min.intValue());
            } catch (IllegalArgumentException e) {
                throw new ControlException("ValueError", e.getMessage());
            }
            worker.autoscaleChanged();
            return ok("autoscale now max=" + as.info().get("max") + " min=" + as.info().get("min"));
        });
        h.put("pool_restart", a -> {
            // celery/worker/control.py pool_restart: allowed with worker_pool_restarts; there are no modules to
            // reload on the JVM, so 'modules'/'reload' are ignored and the pool's threads are replaced
            if (!worker.poolRestartsEnabled()) {
                throw new ControlException("ValueError", "Pool restarts not enabled");
            }
            if (a.get("modules") != null || truthy(a.get("reload"))) {
                LOG.info("pool_restart: modules/reload are ignored on the JVM (classes are not reloaded)");
            }
            worker.restartPool("pool_restart control command");
            return ok("reload started");
        });
        h.put("shutdown", a -> {
            LOG.warn("{}", a.get("msg") == null ? "Got shutdown from remote" : a.get("msg"));
            worker.shutdown();
            return ControlServer.NO_REPLY; // Celery raises WorkerShutdown: no reply
        });
        // Celery's backwards-compatible aliases
        h.put("dump_conf", h.get("conf"));
        h.put("dump_schedule", h.get("scheduled"));
        h.put("dump_reserved", h.get("reserved"));
        h.put("dump_active", h.get("active"));
        h.put("dump_revoked", h.get("revoked"));
        h.put("dump_tasks", h.get("registered"));
        return h;
    }

    /** Sets the worker's task-events flag and that of its {@link WorkerEvents}; returns the previous value. */
    private boolean setTaskEvents(boolean on) {
        WorkerEvents.of(worker).ifPresent(e -> e.setTaskEvents(on));
        return worker.setTaskEvents(on);
    }

    private static Map<String, Object> ok(String text) {
        return Map.of("ok", text);
    }

    private static Map<String, Object> nok(String text) {
        return Map.of("error", text);
    }

    // ------------------------------------------------------------------------------------ inspect

    private List<Map<String, Object>> active(boolean safe) {
        return worker.activeRequests().stream().map(r -> info(r, safe)).toList();
    }

    /** {@code Request.info(safe)}. */
    Map<String, Object> info(Worker.Request r, boolean safe) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.msg.id());
        m.put("name", r.msg.task());
        if (safe) {
            Object argsrepr = r.msg.headers().get("argsrepr");
            Object kwargsrepr = r.msg.headers().get("kwargsrepr");
            m.put("args", argsrepr != null ? argsrepr : PyRepr.argsRepr(r.msg.args(), PyRepr.MAX_LENGTH));
            m.put("kwargs", kwargsrepr != null ? kwargsrepr : PyRepr.repr(r.msg.kwargs(), PyRepr.MAX_LENGTH));
        } else {
            m.put("args", r.msg.args());
            m.put("kwargs", r.msg.kwargs());
        }
        m.put("type", r.msg.task());
        m.put("hostname", worker.nodeName());
        m.put("time_start", r.timeStart);
        m.put("acknowledged", r.acknowledged);
        Map<String, Object> di = new LinkedHashMap<>();
        di.put("exchange", r.delivery.exchange() == null ? "" : r.delivery.exchange());
        di.put("routing_key", r.delivery.routingKey() == null ? r.delivery.queue() : r.delivery.routingKey());
        di.put("priority", r.delivery.message().properties().priority());
        di.put("redelivered", r.delivery.redelivered());
        m.put("delivery_info", di);
        m.put("worker_pid", r.timeStart == null ? null : ProcessHandle.current().pid());
        return m;
    }

    private List<Map<String, Object>> scheduled() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Worker.Request r : worker.scheduledRequests()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("eta", r.msg.eta() == null ? null : isoformat(r.msg.eta()));
            m.put("priority", ETA_PRIORITY);
            m.put("request", info(r, false));
            out.add(m);
        }
        return out;
    }

    /** Python's {@code datetime.isoformat()} of an aware UTC datetime: microseconds only when not zero. */
    static String isoformat(Instant t) {
        var dt = t.atOffset(ZoneOffset.UTC);
        String pattern = dt.getNano() / 1000 == 0 ? "yyyy-MM-dd'T'HH:mm:ssxxx" : "yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx";
        return DateTimeFormatter.ofPattern(pattern).format(dt);
    }

    private List<String> registered(Object taskinfoitems, boolean builtins) {
        List<String> items = new ArrayList<>();
        if (taskinfoitems instanceof List<?> l && !l.isEmpty()) {
            l.forEach(x -> items.add(String.valueOf(x)));
        } else {
            items.addAll(List.of("exchange", "routing_key", "rate_limit"));
        }
        List<String> out = new ArrayList<>();
        List<TaskDefinition> defs = new ArrayList<>(app.registry().definitions());
        defs.sort(java.util.Comparator.comparing(TaskDefinition::name));
        for (TaskDefinition d : defs) {
            if (!builtins && d.name().startsWith("celery.")) {
                continue;
            }
            List<String> attrs = new ArrayList<>();
            for (String item : items) {
                Object v = attribute(d, item);
                if (v != null) {
                    attrs.add(item + "=" + v);
                }
            }
            out.add(attrs.isEmpty() ? d.name() : d.name() + " [" + String.join(" ", attrs) + "]");
        }
        return out;
    }

    /** A task attribute as Celery's {@code getattr(task, field, None)} would give it; null when unset. */
    private Object attribute(TaskDefinition d, String item) {
        var o = d.options();
        List<Double> limits = worker.timeLimits(d.name());
        return switch (item) {
            case "rate_limit" -> worker.rateLimit(d);
            case "queue" -> o.queue();
            case "max_retries" -> o.maxRetries();
            case "acks_late" -> o.acksLate() == null ? null : o.acksLate() ? "True" : "False";
            case "ignore_result" -> o.ignoreResult() == null ? null : o.ignoreResult() ? "True" : "False";
            case "serializer" -> o.serializer();
            case "time_limit" -> limits != null ? pyNum(limits.get(1)) : seconds(o.timeLimit());
            case "soft_time_limit" -> limits != null ? pyNum(limits.get(0)) : seconds(o.softTimeLimit());
            default -> null; // exchange, routing_key: not task attributes on the JVM
        };
    }

    private static String seconds(Duration d) {
        return d == null ? null : pyNum(d.toNanos() / 1e9);
    }

    private static String pyNum(Double v) {
        return v == null ? null : org.celeriac.spi.serializer.PythonFloats.repr(v);
    }

    private Map<String, Object> queryTask(Object ids) {
        List<String> wanted = new ArrayList<>();
        if (ids instanceof List<?> l) {
            l.forEach(x -> wanted.add(String.valueOf(x)));
        } else if (ids != null) {
            wanted.add(String.valueOf(ids));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (String id : wanted) {
            Worker.Request r = worker.requestsById().get(id);
            if (r != null) {
                out.put(id, List.of(r.timeStart != null ? "active" : "reserved", info(r, false)));
            }
        }
        return out;
    }

    /** kombu's {@code Queue.as_dict(recurse=True)}. */
    private List<Map<String, Object>> activeQueues() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Worker.QueueInfo q : worker.activeQueues()) {
            Map<String, Object> ex = new LinkedHashMap<>();
            ex.put("name", q.exchange());
            ex.put("type", q.exchangeType());
            ex.put("arguments", null);
            ex.put("durable", true);
            ex.put("passive", false);
            ex.put("auto_delete", false);
            ex.put("delivery_mode", null);
            ex.put("no_declare", false);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", q.name());
            m.put("exchange", ex);
            m.put("routing_key", q.routingKey());
            m.put("queue_arguments", null);
            m.put("binding_arguments", null);
            m.put("consumer_arguments", null);
            m.put("durable", true);
            m.put("exclusive", false);
            m.put("auto_delete", false);
            m.put("no_ack", false);
            m.put("alias", null);
            m.put("bindings", List.of());
            m.put("no_declare", null);
            m.put("expires", null);
            m.put("message_ttl", null);
            m.put("max_length", null);
            m.put("max_length_bytes", null);
            m.put("max_priority", null);
            out.add(m);
        }
        return out;
    }

    /** The worker's {@code stats()}: Celery's keys, {@code clock} as a string. */
    private Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", worker.totals());
        m.put("pid", ProcessHandle.current().pid());
        m.put("clock", String.valueOf(worker.clock().value()));
        m.put("uptime", worker.uptimeSeconds());
        Map<String, Object> pool = new LinkedHashMap<>();
        pool.put("max-concurrency", worker.concurrency());
        pool.put("processes", List.of(ProcessHandle.current().pid()));
        pool.put("max-tasks-per-child", worker.maxTasksPerChild() > 0 ? worker.maxTasksPerChild() : null);
        pool.put("put-guarded-by-semaphore", false);
        pool.put("timeouts", List.of());
        pool.put("leaked-threads", worker.leakedThreads());
        pool.put("leaked-threads-total", worker.leakedThreadsTotal());
        pool.put("max-leaked-threads", worker.maxLeakedThreads() > 0 ? worker.maxLeakedThreads() : null);
        pool.put("pool-restarts", worker.poolRestarts());
        pool.put("rate-limited", worker.rateLimitedCount());
        pool.put("implementation", "celeriac:" + worker.pool().name().toLowerCase(java.util.Locale.ROOT));
        m.put("pool", pool);
        worker.autoscaler().ifPresent(as -> m.put("autoscaler", as.info()));
        m.put("broker", brokerInfo());
        m.put("prefetch_count", worker.prefetchCount());
        m.put("rusage", rusage());
        return m;
    }

    /** kombu's {@code Connection.info()} without the password (as Celery's stats). */
    private Map<String, Object> brokerInfo() {
        Map<String, Object> b = new LinkedHashMap<>();
        String url = app.settings().string("broker_url").orElse(null);
        ConnectionUrl u = null;
        try {
            u = url == null ? null : ConnectionUrl.parse(url);
        } catch (IllegalArgumentException e) {
            LOG.debug("broker_url is not parseable for stats: {}", e.getMessage());
        }
        String scheme = u == null ? null : u.scheme();
        boolean opaque = u == null || u.isOpaque() || u.hosts().isEmpty();
        b.put("hostname", opaque ? null : u.host("localhost", -1).host());
        b.put("userid", u == null ? null : u.user().orElse(null));
        b.put("virtual_host", opaque ? null : u.path().isEmpty() ? defaultVhost(scheme) : u.path());
        b.put("port", opaque ? null : u.host("localhost", defaultPort(scheme)).port());
        b.put("insist", false);
        b.put("ssl", scheme != null && (scheme.equals("rediss") || scheme.equals("amqps")));
        b.put("transport", scheme);
        b.put("connect_timeout", 4);
        b.put("transport_options", censor(app.settings().map("broker_transport_options")));
        b.put("login_method", scheme != null && scheme.contains("amqp") ? "AMQPLAIN" : null);
        b.put("uri_prefix", null);
        b.put("heartbeat", 120.0);
        b.put("failover_strategy", "round-robin");
        b.put("alternates", List.of());
        return b;
    }

    private static String defaultVhost(String scheme) {
        return scheme != null && scheme.startsWith("redis") ? "0" : "/";
    }

    private static int defaultPort(String scheme) {
        if (scheme == null) {
            return -1;
        }
        if (scheme.startsWith("redis")) {
            return 6379;
        }
        return scheme.equals("amqps") ? 5671 : scheme.contains("amqp") ? 5672 : -1;
    }

    /** {@code resource.getrusage} from /proc on Linux; {@code "N/A"} elsewhere, as Celery without resource. */
    private static Object rusage() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double hz = 100.0; // USER_HZ on Linux
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("utime", Long.parseLong(f[11]) / hz);
            r.put("stime", Long.parseLong(f[12]) / hz);
            long maxrss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    maxrss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            r.put("maxrss", maxrss);
            r.put("minflt", Long.parseLong(f[7]));
            r.put("majflt", Long.parseLong(f[9]));
            return r;
        } catch (IOException | RuntimeException e) {
            return "N/A";
        }
    }

    /** The settings, secrets masked as Celery's {@code filter_hidden_settings}. */
    private Map<String, Object> conf() {
        return censor(new TreeMap<>(app.settings().asMap()));
    }

    private static Map<String, Object> censor(Map<?, ?> in) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : in.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (key.startsWith("__")) {
                continue;
            }
            Object v = e.getValue();
            if (v instanceof Map<?, ?> m) {
                out.put(key, censor(m));
            } else if (HIDDEN.matcher(key).find()) {
                out.put(key, MASK);
            } else {
                out.put(key, jsonable(v));
            }
        }
        return out;
    }

    private static Object jsonable(Object v) {
        if (v == null || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (v instanceof String s) {
            return s.contains("://") ? ConnectionUrl.mask(s) : s;
        }
        if (v instanceof Duration d) {
            return d.toNanos() / 1e9;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(WorkerPanel::jsonable).toList();
        }
        if (v instanceof Map<?, ?> m) {
            return censor(m);
        }
        return ConnectionUrl.mask(String.valueOf(v));
    }

    /** Celery's {@code bugreport()} text. */
    private String report() {
        String v = Worker.class.getPackage().getImplementationVersion();
        String broker = app.settings().string("broker_url").map(ConnectionUrl::mask).orElse("(embedded default)");
        String results = app.settings().string("result_backend").map(ConnectionUrl::mask).orElse("disabled");
        return "software -> celeriac:" + (v == null ? "0.1.0-SNAPSHOT" : v) + " java:" + Runtime.version() + "\n"
                + "platform -> system:" + System.getProperty("os.name") + " arch:" + System.getProperty("os.arch")
                + " kernel version:" + System.getProperty("os.version") + " imp:" + System.getProperty("java.vm.name")
                + "\n"
                + "loader   -> " + app.registry().size() + " task(s) registered\n"
                + "settings -> transport:" + scheme(broker) + " results:" + results + "\n\n"
                + "broker_url: " + broker + "\n"
                + "worker: " + worker.nodeName() + " pool=" + worker.pool().name().toLowerCase(java.util.Locale.ROOT)
                + " concurrency=" + worker.concurrency() + " queues=" + worker.queues() + "\n";
    }

    private static String scheme(String url) {
        int i = url.indexOf(':');
        return i < 0 ? url : url.substring(0, i);
    }

    /** mingle's {@code hello}: merge the sender's revoked ids; reply ours and the clock (null to ourselves). */
    private Object hello(Map<String, Object> a) {
        String from = str(a.get("from_node"));
        if (worker.nodeName().equals(from)) {
            return null;
        }
        LOG.info("sync with {}", from);
        if (a.get("revoked") != null) {
            worker.revokedSet().update(a.get("revoked"));
        }
        worker.revokedSet().purge();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("revoked", worker.revokedSet().asData());
        out.put("clock", worker.clock().forward());
        return out;
    }

    // ------------------------------------------------------------------------------------ control

    private Map<String, Object> revoke(Object taskId, boolean terminate, Object signal) {
        List<String> ids = new ArrayList<>();
        if (taskId instanceof List<?> l) {
            l.forEach(x -> ids.add(String.valueOf(x)));
        } else if (taskId != null) {
            ids.add(String.valueOf(taskId));
        }
        // task-revoked events for what this revoke discards now: reserved and held requests, and running ones
        // with terminate (messages that arrive later, already revoked, send none yet: Worker has no hook there)
        Map<String, Boolean> discarded = new LinkedHashMap<>();
        worker.scheduledRequests().forEach(r -> discarded.put(r.msg.id(), false));
        worker.requestsById().forEach((id, r) -> {
            if (r.timeStart == null || terminate) {
                discarded.put(id, terminate);
            }
        });
        discarded.keySet().retainAll(new java.util.HashSet<>(ids));
        List<String> terminated = worker.revoke(ids, terminate);
        WorkerEvents.of(worker).ifPresent(e -> discarded.forEach((id, term) -> e.taskRevoked(id, term,
                terminate ? 15 : null, false)));
        if (terminate) {
            if (signal != null && !"SIGTERM".equalsIgnoreCase(String.valueOf(signal))
                    && !"TERM".equalsIgnoreCase(String.valueOf(signal))) {
                LOG.info("terminate signal {} is not used on the JVM: the task's thread is interrupted", signal);
            }
            return terminated.isEmpty() ? ok("terminate: tasks unknown") : ok("terminate: " + String.join(", ", terminated));
        }
        String idstr = String.join(", ", new java.util.LinkedHashSet<>(ids));
        LOG.info("Tasks flagged as revoked: {}", idstr);
        return ok("tasks " + idstr + " flagged as revoked");
    }

    private Map<String, Object> rateLimit(String task, Object limit) {
        String text = limit == null ? null : limit instanceof Number n ? (n.doubleValue() == 0 ? null : numText(n))
                : String.valueOf(limit);
        if (text != null && !text.isEmpty()) {
            String amount = text.contains("/") ? text.substring(0, text.indexOf('/')) : text;
            try {
                Double.parseDouble(amount.trim());
            } catch (NumberFormatException e) {
                // Celery's reply, then what is accepted
                return nok("Invalid rate limit string: " + ControlException.repr("ValueError",
                        "could not convert string to float: " + ControlException.pyStr(amount))
                        + "; rate_limit accepts " + RateLimits.FORMS);
            }
            try {
                RateLimit.parse(text);
            } catch (IllegalArgumentException e) {
                return nok("Invalid rate limit string: " + ControlException.repr("KeyError",
                        text.substring(text.indexOf('/') + 1)) + "; rate_limit accepts " + RateLimits.FORMS);
            }
        }
        if (task == null || app.registry().get(task).isEmpty()) {
            LOG.error("Rate limit attempt for unknown task {}", task);
            return nok("unknown task");
        }
        worker.setRateLimit(task, text);
        if (text == null || text.isEmpty()) {
            LOG.info("Rate limits disabled for tasks of type {}", task);
            return ok("rate limit disabled successfully");
        }
        LOG.info("New rate limit for tasks of type {}: {}.", task, text);
        return ok("new rate limit set successfully");
    }

    private static String numText(Number n) {
        return n instanceof Double || n instanceof Float ? org.celeriac.spi.serializer.PythonFloats.repr(n.doubleValue())
                : String.valueOf(n);
    }

    private Map<String, Object> timeLimit(String task, Double soft, Double hard) {
        if (task == null || app.registry().get(task).isEmpty()) {
            LOG.error("Change time limit attempt for unknown task {}", task);
            return nok("unknown task");
        }
        worker.setTimeLimits(task, soft, hard);
        LOG.info("New time limits for tasks of type {}: soft={} hard={}", task, soft, hard);
        return ok("time limits set successfully");
    }

    private void requireResizablePool(String op) {
        if (worker.pool() == Worker.Pool.SOLO) {
            throw new ControlException("AttributeError", "'TaskPool' object has no attribute '" + op + "'");
        }
    }

    // ------------------------------------------------------------------------------------ arguments

    private static boolean truthy(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (v instanceof String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "1", "true", "yes", "y", "on" -> true;
                default -> false;
            };
        }
        return false;
    }

    private static String str(Object v) {
        return v == null ? null : String.valueOf(v);
    }

    private static Double num(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new ControlException("ValueError", "could not convert string to float: '" + v + "'");
        }
    }

    private static int count(Object v) {
        if (v == null) {
            return 1;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new ControlException("ValueError", "invalid literal for int() with base 10: '" + v + "'");
        }
    }
}
