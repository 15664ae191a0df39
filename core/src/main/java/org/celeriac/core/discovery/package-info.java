/**
 * Finding implementations: {@link org.celeriac.core.discovery.Providers} loads the broker, result
 * backend and serializer providers through {@link java.util.ServiceLoader} and picks one by URL scheme
 * or content type, with the none/one/many diagnostics of STYLE.md. Non-null unless documented.
 */
package org.celeriac.core.discovery;
