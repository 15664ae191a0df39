/**
 * The {@code kryo} serializer ({@code application/x-kryo}): registration-only Kryo for Java-to-Java deployments.
 * See the module README. Non-null unless documented.
 */
package org.celeriac.serializer.kryo;
