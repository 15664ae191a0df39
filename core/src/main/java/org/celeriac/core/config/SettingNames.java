package org.celeriac.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The catalogue of setting names: Celery 5.2's lowercase names ({@code celery/app/defaults.py}),
 * Celeriac's own additions, and the table of Celery's old uppercase names (docs, "New lowercase
 * settings") that are still accepted as deprecated aliases. Stateless and thread-safe.
 */
public final class SettingNames {

    private static final Map<String, String> ALIASES = new LinkedHashMap<>();
    private static final Set<String> KNOWN = new TreeSet<>();

    static {
        // top level
        alias("CELERY_ACCEPT_CONTENT", "accept_content");
        alias("CELERY_ENABLE_UTC", "enable_utc");
        alias("CELERY_IMPORTS", "imports");
        alias("CELERY_INCLUDE", "include");
        alias("CELERY_TIMEZONE", "timezone");
        // beat (celerybeat_{0})
        for (String k : new String[] {"max_loop_interval", "schedule", "scheduler", "schedule_filename", "sync_every"}) {
            alias("CELERYBEAT_" + up(k), "beat_" + k);
        }
        // broker (same names, upper case)
        for (String k : new String[] {"url", "read_url", "write_url", "transport", "transport_options",
                "connection_timeout", "connection_retry", "connection_max_retries", "failover_strategy", "heartbeat",
                "heartbeat_checkrate", "login_method", "pool_limit", "use_ssl", "host", "port", "user", "password",
                "vhost"}) {
            alias("BROKER_" + up(k), "broker_" + k);
        }
        // cache
        alias("CELERY_CACHE_BACKEND", "cache_backend");
        alias("CELERY_CACHE_BACKEND_OPTIONS", "cache_backend_options");
        // cassandra
        alias("CASSANDRA_COLUMN_FAMILY", "cassandra_table");
        for (String k : new String[] {"entry_ttl", "keyspace", "port", "read_consistency", "servers",
                "write_consistency", "options"}) {
            alias("CASSANDRA_" + up(k), "cassandra_" + k);
        }
        alias("CELERY_COUCHBASE_BACKEND_SETTINGS", "couchbase_backend_settings");
        alias("CELERY_ARANGODB_BACKEND_SETTINGS", "arangodb_backend_settings");
        alias("CELERY_MONGODB_BACKEND_SETTINGS", "mongodb_backend_settings");
        // events (celery_event_{0})
        for (String k : new String[] {"queue_expires", "queue_ttl", "queue_prefix", "serializer"}) {
            alias("CELERY_EVENT_" + up(k), "event_" + k);
        }
        // redis (celery_redis_{0})
        for (String k : new String[] {"db", "host", "max_connections", "username", "password", "port",
                "backend_use_ssl"}) {
            alias("CELERY_REDIS_" + up(k), "redis_" + k);
        }
        // result (celery_result_{0} plus explicit olds)
        for (String k : new String[] {"backend", "compression", "exchange", "exchange_type", "persistent",
                "serializer", "extended", "expires"}) {
            alias("CELERY_RESULT_" + up(k), "result_" + k);
        }
        alias("CELERY_MAX_CACHED_RESULTS", "result_cache_max");
        alias("CELERY_TASK_RESULT_EXPIRES", "result_expires");
        alias("CELERY_AMQP_TASK_RESULT_EXPIRES", "result_expires");
        // database result backend
        alias("CELERY_RESULT_DBURI", "database_url");
        alias("CELERY_RESULT_ENGINE_OPTIONS", "database_engine_options");
        alias("CELERY_RESULT_DB_SHORT_LIVED_SESSIONS", "database_short_lived_sessions");
        alias("CELERY_RESULT_DB_TABLENAMES", "database_table_names");
        // security (celery_security_{0})
        for (String k : new String[] {"certificate", "cert_store", "key", "key_password", "digest"}) {
            alias("CELERY_SECURITY_" + up(k), "security_" + k);
        }
        // task (celery_{0} plus explicit olds)
        for (String k : new String[] {"acks_late", "acks_on_failure_or_timeout", "always_eager", "annotations",
                "create_missing_queues", "inherit_parent_priority", "default_delivery_mode", "default_queue",
                "default_exchange", "default_exchange_type", "default_routing_key", "default_rate_limit",
                "default_priority", "ignore_result", "store_eager_result", "queues", "queue_ha_policy",
                "queue_max_priority", "reject_on_worker_lost", "remote_tracebacks", "routes",
                "store_errors_even_if_ignored", "track_started", "allow_error_cb_on_chord_header",
                "publish_retry", "publish_retry_policy", "send_sent_event", "compression", "eager_propagates"}) {
            alias("CELERY_" + up(k), "task_" + k);
            alias("CELERY_TASK_" + up(k), "task_" + k);
        }
        alias("CELERY_MESSAGE_COMPRESSION", "task_compression");
        alias("CELERY_EAGER_PROPAGATES_EXCEPTIONS", "task_eager_propagates");
        alias("CELERY_TASK_PROTOCOL", "task_protocol");
        alias("CELERY_SEND_TASK_SENT_EVENT", "task_send_sent_event");
        alias("CELERY_TASK_SERIALIZER", "task_serializer");
        alias("CELERYD_TASK_SOFT_TIME_LIMIT", "task_soft_time_limit");
        alias("CELERYD_SOFT_TIME_LIMIT", "task_soft_time_limit");
        alias("CELERYD_TASK_TIME_LIMIT", "task_time_limit");
        alias("CELERYD_TIME_LIMIT", "task_time_limit");
        // worker (celeryd_{0} plus explicit olds)
        for (String k : new String[] {"agent", "autoscaler", "concurrency", "consumer", "hijack_root_logger",
                "log_color", "log_format", "max_tasks_per_child", "max_memory_per_child", "pool", "pool_putlocks",
                "pool_restarts", "prefetch_multiplier", "redirect_stdouts", "redirect_stdouts_level", "state_db",
                "task_log_format", "timer", "timer_precision", "enable_prefetch_count_reduction",
                "proc_alive_timeout"}) {
            alias("CELERYD_" + up(k), "worker_" + k);
        }
        alias("CELERYD_WORKER_LOST_WAIT", "worker_lost_wait");
        alias("CELERY_WORKER_DIRECT", "worker_direct");
        alias("CELERY_DISABLE_RATE_LIMITS", "worker_disable_rate_limits");
        alias("CELERY_ENABLE_REMOTE_CONTROL", "worker_enable_remote_control");
        alias("CELERY_WORKER_LOG_FORMAT", "worker_log_format");
        alias("CELERY_WORKER_TASK_LOG_FORMAT", "worker_task_log_format");
        alias("CELERY_REDIRECT_STDOUTS", "worker_redirect_stdouts");
        alias("CELERY_REDIRECT_STDOUTS_LEVEL", "worker_redirect_stdouts_level");
        alias("CELERY_SEND_EVENTS", "worker_send_task_events");
        alias("CELERYD_SEND_EVENTS", "worker_send_task_events");

        // lowercase names without an old alias
        for (String k : new String[] {"result_accept_content", "broker_connection_retry_on_startup",
                "broker_channel_error_retry", "broker_native_delayed_delivery_queue_type", "control_queue_ttl",
                "control_queue_expires", "control_exchange", "event_exchange", "result_backend_transport_options",
                "result_chord_retry_interval", "result_chord_join_timeout", "result_backend_always_retry",
                "result_backend_max_retries", "result_backend_base_sleep_between_retries_ms",
                "result_backend_max_sleep_between_retries_ms", "database_table_schemas", "redis_socket_timeout",
                "redis_socket_connect_timeout", "redis_retry_on_timeout", "redis_socket_keepalive",
                "beat_cron_starting_deadline", "worker_cancel_long_running_tasks_on_connection_loss",
                "worker_deduplicate_successful_tasks", "task_protocol", "task_serializer", "task_time_limit",
                "task_soft_time_limit", "task_send_sent_event",
                // Celeriac's own
                CeleriacConfig.DATA_DIR, "broker_provider", "result_backend_provider", "serializer_provider",
                "task_default_retry_delay", "task_max_retries", "beat_lease_ttl",
                // Celeriac's worker: held ETAs, the result buffer, Celery's worker flags as settings
                "worker_max_held_eta", "worker_eta_hold_max_seconds", "broker_delayed_delivery", "worker_result_buffer_size",
                "worker_result_flush_timeout", "worker_without_mingle", "worker_without_gossip",
                "worker_without_heartbeat", "worker_autoscale", "worker_autoscale_keepalive", "worker_persistent_revokes",
                "worker_max_leaked_threads", "task_rate_limit_scope"}) {
            KNOWN.add(k);
        }
    }

    private SettingNames() {
    }

    private static String up(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    private static void alias(String old, String name) {
        ALIASES.putIfAbsent(old, name);
        KNOWN.add(name);
    }

    /** True when {@code name} is a lowercase setting Celery or Celeriac knows. */
    public static boolean isKnown(String name) {
        return KNOWN.contains(name);
    }

    /** Every known lowercase setting name, sorted (unmodifiable). */
    public static Set<String> known() {
        return Collections.unmodifiableSet(KNOWN);
    }

    /** The old-name table: Celery's uppercase name to the lowercase one (unmodifiable). */
    public static Map<String, String> aliases() {
        return Collections.unmodifiableMap(ALIASES);
    }

    /**
     * The current name for a deprecated spelling: a name of the old-name table ({@code CELERYD_CONCURRENCY}),
     * a known name in upper case ({@code TASK_ACKS_LATE}) or with Django's {@code CELERY_} namespace
     * ({@code CELERY_BROKER_URL}). Case-insensitive for these forms.
     *
     * @return empty when {@code key} is a current name or not a deprecated spelling of one
     */
    public static Optional<String> currentNameOf(String key) {
        if (KNOWN.contains(key)) {
            return Optional.empty();
        }
        String upper = key.toUpperCase(Locale.ROOT);
        String mapped = ALIASES.get(upper);
        if (mapped != null) {
            return Optional.of(mapped);
        }
        String lower = key.toLowerCase(Locale.ROOT);
        if (KNOWN.contains(lower)) {
            return Optional.of(lower);
        }
        if (upper.startsWith("CELERY_") && KNOWN.contains(lower.substring("celery_".length()))) {
            return Optional.of(lower.substring("celery_".length()));
        }
        return Optional.empty();
    }
}
