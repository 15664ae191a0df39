package org.celeriac.core.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.api.Durations;
import org.celeriac.api.RateLimit;
import org.celeriac.api.RetryPolicy;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's {@code task_annotations} ({@code celery/app/annotations.py}): per-task option overrides applied to the
 * registered tasks, e.g. {@code {'tasks.add': {'rate_limit': '10/m'}, '*': {'acks_late': True}}}, or a list of
 * such dicts. As in Celery, a task takes the first entry naming it exactly and then the first {@code '*'} entry,
 * in that order, so {@code '*'} wins where both set an option; annotations override what {@code @Task} declares.
 *
 * <p>Options read: {@code rate_limit}, {@code acks_late}, {@code ignore_result}, {@code track_started},
 * {@code time_limit}, {@code soft_time_limit} (seconds, or a duration string), {@code max_retries}
 * ({@code None}: retry for ever), {@code default_retry_delay}, {@code queue}, {@code serializer},
 * {@code autoretry_for} (exception class names), {@code retry_backoff}, {@code retry_backoff_max},
 * {@code retry_jitter}. Other keys are ignored with a warning. Immutable and thread-safe.
 */
public final class TaskAnnotations {
    private static final Logger LOG = LoggerFactory.getLogger(TaskAnnotations.class);
    private static final String SETTING = "task_annotations";
    private static final Set<String> KNOWN = Set.of("rate_limit", "acks_late", "ignore_result", "track_started",
            "time_limit", "soft_time_limit", "max_retries", "default_retry_delay", "queue", "serializer",
            "autoretry_for", "retry_backoff", "retry_backoff_max", "retry_jitter", "rate_limit_scope");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** No annotation. */
    public static final TaskAnnotations NONE = new TaskAnnotations(List.of());

    private final List<Map<String, Map<String, Object>>> entries;

    private TaskAnnotations(List<Map<String, Map<String, Object>>> entries) {
        this.entries = entries;
    }

    /**
     * Reads the setting's value: null, a dict of task name (or {@code '*'}) to a dict of options, or a list of
     * such dicts. Every option is validated now.
     *
     * @throws ConfigException naming {@code task_annotations}, the task and the option, with the accepted forms
     */
    @SuppressWarnings("unchecked")
    public static TaskAnnotations parse(Object value) {
        if (value == null || value instanceof String s && (s.isBlank() || s.equals("None"))) {
            return NONE;
        }
        List<Object> items = value instanceof List<?> l ? new ArrayList<>(l) : List.of(value);
        List<Map<String, Map<String, Object>>> out = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof Map<?, ?> m)) {
                throw new ConfigException(SETTING + ": " + describe(item) + " is not an annotation; use a dict of task"
                        + " name (or '*') to a dict of options, e.g. {'tasks.add': {'rate_limit': '10/m'}}, or a list of"
                        + " such dicts");
            }
            Map<String, Map<String, Object>> entry = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String task = String.valueOf(e.getKey());
                if (!(e.getValue() instanceof Map<?, ?> opts)) {
                    throw new ConfigException(SETTING + "['" + task + "']: " + describe(e.getValue())
                            + " is not a dict of options; use e.g. {'rate_limit': '10/m', 'acks_late': True}");
                }
                Map<String, Object> copy = new LinkedHashMap<>();
                opts.forEach((k, v) -> copy.put(String.valueOf(k), v));
                validate(task, copy);
                entry.put(task, copy);
            }
            out.add(entry);
        }
        return new TaskAnnotations(List.copyOf(out));
    }

    /** True when there is no annotation at all. */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The options annotating {@code taskName}: its first exact entry, then the first {@code '*'} entry over it. */
    public Map<String, Object> optionsFor(String taskName) {
        Map<String, Object> merged = new LinkedHashMap<>();
        first(taskName).ifPresent(merged::putAll);
        first("*").ifPresent(merged::putAll);
        return merged;
    }

    private java.util.Optional<Map<String, Object>> first(String key) {
        for (Map<String, Map<String, Object>> e : entries) {
            Map<String, Object> o = e.get(key);
            if (o != null) {
                return java.util.Optional.of(o);
            }
        }
        return java.util.Optional.empty();
    }

    /** {@code def} with its annotations applied; {@code def} itself when none applies. */
    public TaskDefinition apply(TaskDefinition def) {
        Map<String, Object> o = optionsFor(def.name());
        if (o.isEmpty()) {
            return def;
        }
        return new Annotated(def, overlay(def.name(), def.options(), o), overlay(def.name(), def.retryPolicy(), o));
    }

    /** Every task of {@code registry} annotated. */
    public TaskRegistry apply(TaskRegistry registry) {
        return isEmpty() ? registry : registry.map(this::apply);
    }

    private static void validate(String task, Map<String, Object> o) {
        if (o.containsKey("rate_limit_scope")) {
            Object v = o.get("rate_limit_scope");
            if (!(v instanceof String s && (s.equalsIgnoreCase("worker") || s.equalsIgnoreCase("global")))) {
                throw new ConfigException(where(task, "rate_limit_scope") + "'" + v + "' is not valid; use 'worker' "
                        + "(a token bucket per worker, as Celery) or 'global' (one limit for the whole cluster)");
            }
        }
        overlay(task, TaskOptions.DEFAULTS, o);
        overlay(task, RetryPolicy.NONE, o);
        for (String k : o.keySet()) {
            if (!KNOWN.contains(k) && WARNED.add(task + "\u0000" + k)) {
                LOG.warn("{}['{}']: option '{}' is not used by Celeriac and is ignored (known: {})", SETTING, task, k,
                        new java.util.TreeSet<>(KNOWN));
            }
        }
    }

    private static TaskOptions overlay(String task, TaskOptions t, Map<String, Object> o) {
        String rate = t.rateLimit();
        if (o.containsKey("rate_limit")) {
            Object v = o.get("rate_limit");
            rate = v == null ? null : v instanceof Number n ? String.valueOf(n) : String.valueOf(v);
            try {
                RateLimit.parse(rate);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where(task, "rate_limit") + e.getMessage());
            }
        }
        Integer maxRetries = t.maxRetries();
        if (o.containsKey("max_retries")) {
            Object v = o.get("max_retries");
            if (v == null) {
                maxRetries = -1;
            } else if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
                maxRetries = n.intValue();
            } else {
                try {
                    maxRetries = Integer.parseInt(String.valueOf(v).trim());
                } catch (NumberFormatException e) {
                    throw new ConfigException(where(task, "max_retries") + "'" + v
                            + "' is not valid; use a whole number, or None to retry for ever");
                }
            }
        }
        return new TaskOptions(
                o.containsKey("queue") ? str(o.get("queue")) : t.queue(),
                rate,
                maxRetries,
                o.containsKey("default_retry_delay") ? duration(task, "default_retry_delay", o.get("default_retry_delay"))
                        : t.defaultRetryDelay(),
                o.containsKey("acks_late") ? bool(task, "acks_late", o.get("acks_late")) : t.acksLate(),
                o.containsKey("ignore_result") ? bool(task, "ignore_result", o.get("ignore_result")) : t.ignoreResult(),
                o.containsKey("time_limit") ? duration(task, "time_limit", o.get("time_limit")) : t.timeLimit(),
                o.containsKey("soft_time_limit") ? duration(task, "soft_time_limit", o.get("soft_time_limit"))
                        : t.softTimeLimit(),
                o.containsKey("serializer") ? str(o.get("serializer")) : t.serializer(),
                o.containsKey("track_started") ? bool(task, "track_started", o.get("track_started")) : t.trackStarted());
    }

    private static RetryPolicy overlay(String task, RetryPolicy p, Map<String, Object> o) {
        List<String> autoretry = p.autoretryFor();
        if (o.containsKey("autoretry_for")) {
            Object v = o.get("autoretry_for");
            autoretry = v == null ? List.of() : v instanceof List<?> l ? l.stream().map(String::valueOf).toList()
                    : List.of(String.valueOf(v).split("\\s*,\\s*"));
        }
        Duration backoff = p.backoffFactor();
        if (o.containsKey("retry_backoff")) {
            try {
                backoff = RetryPolicy.parseBackoff(where(task, "retry_backoff").trim(), o.get("retry_backoff"));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
        }
        Duration max = o.containsKey("retry_backoff_max")
                ? duration(task, "retry_backoff_max", o.get("retry_backoff_max")) : p.backoffMax();
        boolean jitter = o.containsKey("retry_jitter") ? Boolean.TRUE.equals(bool(task, "retry_jitter",
                o.get("retry_jitter"))) : p.jitter();
        return new RetryPolicy(autoretry, backoff, max, jitter);
    }

    private static String where(String task, String option) {
        return SETTING + "['" + task + "']['" + option + "']: ";
    }

    private static String str(Object v) {
        return v == null ? null : String.valueOf(v);
    }

    private static Duration duration(String task, String option, Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return Durations.ofSeconds(n.doubleValue());
        }
        try {
            return Durations.parse(where(task, option).trim(), String.valueOf(v));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private static Boolean bool(String task, String option, Object v) {
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        return switch (String.valueOf(v).trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new ConfigException(where(task, option) + "'" + v + "' is not a boolean; use True or False");
        };
    }

    private static String describe(Object v) {
        return v == null ? "None" : "'" + v + "' (" + v.getClass().getSimpleName() + ")";
    }

    /** A registered task with annotated options; runs the original. */
    private record Annotated(TaskDefinition delegate, TaskOptions options, RetryPolicy retryPolicy)
            implements TaskDefinition {
        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) throws Exception {
            return delegate.run(context, args, kwargs);
        }

        @Override
        public Class<?> declaringClass() {
            return delegate.declaringClass();
        }
    }
}
