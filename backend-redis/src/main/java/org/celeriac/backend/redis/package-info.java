/**
 * The Redis result backend ({@code redis://}, {@code rediss://}) in Celery's layout: {@code celery-task-meta-<id>}
 * with Celery's JSON document, published on a channel of the same name, {@code celery-taskset-meta-<gid>} for
 * groups. See the module README. Non-null unless documented.
 */
package org.celeriac.backend.redis;
