/**
 * The AMQP 0-9-1 transport ({@code amqp://}, {@code amqps://}, {@code pyamqp://}) for RabbitMQ, in Celery's
 * own topology (so Python Celery 5 clients and workers share queues and exchanges), and Celery's {@code rpc://}
 * result backend riding on the same connection. Built on the RabbitMQ Java client (amqp-client 5.x) with its
 * automatic connection and topology recovery. See the module README. Non-null unless documented.
 */
package org.celeriac.transport.amqp;
