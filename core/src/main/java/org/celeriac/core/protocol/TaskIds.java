package org.celeriac.core.protocol;

import java.util.UUID;
import org.celeriac.spi.RandomIds;

/**
 * Fresh task ids: RFC 4122 version 4 (random) UUID strings, as Celery's {@code uuid()} ({@code str(uuid4())},
 * {@code celery/utils/__init__.py} → {@code kombu/utils/uuid.py}) gives them. They come from
 * {@link RandomIds} (no lock, no system call per id; unique in practice, not secret). Thread-safe and
 * non-blocking.
 */
public final class TaskIds {
    private TaskIds() {
    }

    /** A fresh version 4 UUID; never null. */
    public static UUID uuid4() {
        return RandomIds.uuid4();
    }

    /** A fresh task id: {@link #uuid4()} as its 36-character string; never null. */
    public static String next() {
        return RandomIds.next();
    }
}
