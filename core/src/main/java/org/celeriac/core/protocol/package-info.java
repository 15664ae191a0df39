/**
 * Celery's task message protocol (v2 written, v1 and hybrids read), as in
 * {@code shared/spec/celery-wire.md} §1 and {@code celery/app/amqp.py as_task_v2}. Internal to
 * core: not for users.
 */
package org.celeriac.core.protocol;
