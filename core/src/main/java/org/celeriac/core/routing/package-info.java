/**
 * Task routing (Celery's {@code celery/app/routes.py}): {@code task_routes} as maps, glob and regex patterns and
 * {@link org.celeriac.core.routing.Router} classes, resolved for every message the client sends.
 */
package org.celeriac.core.routing;
