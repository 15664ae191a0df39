/**
 * The result-backend SPI: {@link org.celeriac.spi.backend.ResultBackend}, Celery's task meta
 * ({@link org.celeriac.spi.backend.TaskMeta}) and its one encoding
 * ({@link org.celeriac.spi.backend.TaskMetaCodec}) that every backend uses. Non-null unless documented.
 */
package org.celeriac.spi.backend;
