/**
 * Internal: the annotation processor that turns {@link org.celeriac.api.Task @Task} methods into
 * {@link org.celeriac.api.TaskDefinition} registrations at build time. Not for users: javac finds
 * it through {@code META-INF/services/javax.annotation.processing.Processor}.
 */
package org.celeriac.api.internal.processor;
