/**
 * Configuration: {@link org.celeriac.core.config.CeleriacConfig} merges defaults, a config file
 * ({@code .properties}, {@code .yaml}, or a Python {@code celeryconfig.py} subset), the environment,
 * system properties and the builder, under Celery's lowercase setting names
 * ({@link org.celeriac.core.config.SettingNames}); {@link org.celeriac.core.config.EmbeddedDefault}
 * is the zero-configuration H2 database shared by broker and result backend. Non-null unless documented.
 */
package org.celeriac.core.config;
