/**
 * What a task author touches: the {@link org.celeriac.api.Task @Task} annotation, the
 * {@link org.celeriac.api.TaskContext} a running task sees, the {@link org.celeriac.api.Client}
 * verbs ({@code delay}, {@code applyAsync}, {@code sendTask}) and {@link org.celeriac.api.AsyncResult}.
 *
 * <p>Everything in this package is non-null unless a parameter or return value is documented as
 * nullable. This module has no dependency outside the JDK.
 */
package org.celeriac.api;
