/**
 * Celeriac's runtime: {@link org.celeriac.core.Celeriac} (the app: client verbs, configuration and the
 * connections) and, in sub-packages, the worker, the protocol and discovery.
 */
package org.celeriac.core;
