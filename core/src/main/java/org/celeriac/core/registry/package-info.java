/** Finding and holding the tasks a process serves (ServiceLoader of {@link org.celeriac.api.TaskDefinition}). */
package org.celeriac.core.registry;
