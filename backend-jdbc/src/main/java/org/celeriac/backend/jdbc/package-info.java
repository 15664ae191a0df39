/**
 * The {@code jdbc} result backend: Celeriac's own {@code celeriac_*} tables over plain JDBC and HikariCP,
 * schema by Flyway ({@code celeriac_backend_schema_history}). Only
 * {@link org.celeriac.backend.jdbc.JdbcResultBackendProvider} is public; everything else is internal.
 * Non-null unless documented. See the module README for the schema, the polling design and expiry.
 */
package org.celeriac.backend.jdbc;
