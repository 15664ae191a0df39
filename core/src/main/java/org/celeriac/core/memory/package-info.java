/**
 * The {@code memory://} broker and result backend: in-process, per JVM and per URL host
 * ({@code memory://a} and {@code memory://b} are separate; {@code memory://} is the default
 * namespace), so a client and a worker in one JVM meet. The reference implementation the TCK runs
 * against, and what users' unit tests use. Nothing is persistent. Non-null unless documented.
 */
package org.celeriac.core.memory;
