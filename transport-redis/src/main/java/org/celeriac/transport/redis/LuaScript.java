package org.celeriac.transport.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A Lua script run with {@code EVALSHA}, falling back to {@code EVAL} (which also caches it) on
 * {@code NOSCRIPT} — after a Redis restart or {@code SCRIPT FLUSH}. Immutable and thread-safe.
 */
final class LuaScript {
    private final String source;
    private final String sha;

    LuaScript(String source) {
        this.source = source;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    /** Runs the script; non-blocking. The future fails with lettuce's exception when Redis refuses. */
    <T> CompletableFuture<T> run(RedisAsyncCommands<String, byte[]> redis, ScriptOutputType type, String[] keys,
                                 byte[]... args) {
        CompletableFuture<T> first = redis.<T>evalsha(sha, type, keys, args).toCompletableFuture();
        return first.handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(v);
            }
            if (isNoScript(e)) {
                return redis.<T>eval(source, type, keys, args).toCompletableFuture();
            }
            return CompletableFuture.<T>failedFuture(unwrap(e));
        }).thenCompose(f -> f);
    }

    /**
     * Runs the script with {@code EVAL} (the body every time; Redis caches it by its digest), never
     * {@code EVALSHA}: one command, so it keeps its place among the connection's commands — a {@code NOSCRIPT}
     * fallback would send it again after commands issued later. Non-blocking.
     */
    <T> CompletableFuture<T> runInOrder(RedisAsyncCommands<String, byte[]> redis, ScriptOutputType type,
                                        String[] keys, byte[]... args) {
        return redis.<T>eval(source, type, keys, args).toCompletableFuture();
    }

    /**
     * Runs the script with {@code EVALSHA} only, never falling back to {@code EVAL}: when Redis has not cached it
     * (after a restart or {@code SCRIPT FLUSH}) the future fails, {@link #isNoScript} tells, and the caller runs it
     * elsewhere. For a connection that blocks right after (a blocking claim is written behind it), where a fallback
     * would wait behind the blocking command. Non-blocking.
     */
    <T> CompletableFuture<T> runCached(RedisAsyncCommands<String, byte[]> redis, ScriptOutputType type, String[] keys,
                                       byte[]... args) {
        return redis.<T>evalsha(sha, type, keys, args).toCompletableFuture();
    }

    /** Whether {@code e} (or its cause) is Redis's {@code NOSCRIPT}: the script is not in its cache. */
    static boolean isNoScript(Throwable e) {
        Throwable cause = unwrap(e);
        return cause instanceof RedisNoScriptException
                || (cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT"));
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static byte[] arg(Object o) {
        return String.valueOf(o).getBytes(StandardCharsets.UTF_8);
    }
}
