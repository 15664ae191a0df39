/**
 * Celeriac's SQL transport ({@code sql} broker provider, schemes {@code jdbc} and Celery's {@code sqla+*}):
 * messages as rows of Celeriac's own {@code celeriac_*} tables, claimed with
 * {@code SELECT … FOR UPDATE SKIP LOCKED} and held while the consumer's heartbeat lease is renewed. The embedded default broker
 * (an H2 file with {@code AUTO_SERVER=TRUE}). Public types: {@link org.celeriac.transport.sql.SqlBrokerProvider}
 * and {@link org.celeriac.transport.sql.SqlBroker}; {@link org.celeriac.transport.sql.H2ExceptionOverride} is
 * public only for HikariCP. Non-null unless documented. See the module's README for schema and algorithm.
 */
package org.celeriac.transport.sql;
