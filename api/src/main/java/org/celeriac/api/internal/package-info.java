/**
 * Internal: the run-time support of code generated from {@link org.celeriac.api.Task @Task} methods
 * ({@link org.celeriac.api.internal.MethodTask}, {@link org.celeriac.api.internal.ArgumentBinder}).
 * Not for users: the types here may change in any release without notice. Generated classes and
 * Celeriac's own modules are the only intended callers.
 */
package org.celeriac.api.internal;
