/**
 * The Redis transport ({@code redis://}, {@code rediss://}, {@code sentinel://}) in kombu's layout: lists per
 * queue and priority step, {@code _kombu.binding.*} sets, the {@code unacked} hash and {@code unacked_index}
 * sorted set with visibility-timeout restore, and fanout over PUBLISH. See the module README. Non-null unless
 * documented.
 */
package org.celeriac.transport.redis;
