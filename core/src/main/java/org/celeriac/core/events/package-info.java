/**
 * Celery's monitoring events ({@code celery/events/}): the {@link org.celeriac.core.events.EventDispatcher} that
 * publishes {@code worker-*} and {@code task-*} events on the {@code celeryev} fanout exchange, the
 * {@link org.celeriac.core.events.EventReceiver} that reads them (from Java or Python workers), the
 * {@link org.celeriac.core.events.WorkerEvents} that makes a worker send them, and the
 * {@link org.celeriac.core.events.EventDumper} behind {@code celeriac events --dump}.
 */
package org.celeriac.core.events;
