/**
 * Remote control and inspect: Celery's mailbox ("pidbox") protocol ({@code kombu/pidbox.py},
 * {@code celery/app/control.py}, {@code celery/worker/control.py}). {@link org.celeriac.core.control.ControlClient}
 * broadcasts a command to the workers and collects their replies (what {@code celery inspect} and
 * {@code celery control} do); {@link org.celeriac.core.control.ControlServer} is the worker's side: it
 * subscribes to the fanout exchange {@code celery.pidbox}, runs the named handler and replies to the
 * client's reply queue. Requests and replies are encoded with the app's {@code task_serializer}, as
 * Celery does, so Python workers and clients share the mailbox.
 */
package org.celeriac.core.control;
