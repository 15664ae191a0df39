/**
 * kombu's {@code json} serializer for Celeriac: {@link org.celeriac.serializer.json.JsonSerializer}
 * writes exactly what Python Celery 5.2.6 / kombu 5.2.4 writes and reads that plus kombu 5.3+'s
 * tagged objects; {@link org.celeriac.serializer.json.JsonSerializerProvider} registers it for
 * {@code application/json}. Non-null unless documented as nullable.
 */
package org.celeriac.serializer.json;
