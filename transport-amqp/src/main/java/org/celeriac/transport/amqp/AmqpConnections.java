package org.celeriac.transport.amqp;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.net.ConnectException;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.broker.BrokerException;

/**
 * Opens RabbitMQ connections from kombu-style URLs: {@code amqp://user:password@host:port/vhost}, where the
 * virtual host is the path without its leading slash and an empty path means {@code /}
 * ({@code amqp://guest:guest@localhost:5672//} is vhost {@code /}, as kombu parses it); user and password
 * default to {@code guest}, the port to 5672 (5671 for TLS). Stateless and thread-safe.
 */
final class AmqpConnections {
    private AmqpConnections() {
    }

    /** The virtual host named by {@code url}, as kombu reads it. */
    static String vhost(ConnectionUrl url) {
        String path = url.path();
        return path == null || path.isEmpty() ? "/" : path;
    }

    /** Where the URL points, for messages: {@code user@host:port vhost '/'} (no password). */
    static String describe(ConnectionUrl url, AmqpTransportOptions options) {
        ConnectionUrl.Host h = url.host("localhost", options.ssl() ? 5671 : 5672);
        return "user '" + url.user().orElse("guest") + "' at " + h + " vhost '" + vhost(url) + "'";
    }

    /** A connection factory with automatic connection and topology recovery. */
    static ConnectionFactory factory(ConnectionUrl url, AmqpTransportOptions options, String connectionName) {
        ConnectionFactory f = new ConnectionFactory();
        ConnectionUrl.Host h = url.host("localhost", options.ssl() ? 5671 : 5672);
        f.setHost(h.host());
        f.setPort(h.port());
        f.setUsername(url.user().orElse("guest"));
        f.setPassword(url.password().orElse("guest"));
        f.setVirtualHost(vhost(url));
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        f.setNetworkRecoveryInterval(options.recoveryInterval().toMillis());
        f.setRequestedHeartbeat((int) options.heartbeat().toSeconds());
        f.setConnectionTimeout((int) options.connectTimeout().toMillis());
        f.setClientProperties(new java.util.HashMap<>(f.getClientProperties()));
        f.getClientProperties().put("connection_name", connectionName);
        // py-amqp's 'L' header ints (see PyAmqpFrameFilter): filtered on plain TCP and, decrypted, under TLS
        if (!options.ssl()) {
            f.setSocketFactory(PyAmqpFrameFilter.socketFactory());
        }
        if (options.ssl()) {
            try {
                SSLContext tls = SSLContext.getDefault();
                f.useSslProtocol(tls);
                // set after useSslProtocol: the client takes its sockets from this factory when one is set
                f.setSocketFactory(PyAmqpSslSocket.socketFactory(tls.getSocketFactory()));
                f.enableHostnameVerification();
            } catch (NoSuchAlgorithmException e) {
                throw new BrokerException("TLS is not available in this JVM: " + e.getMessage(), e);
            }
        }
        return f;
    }

    /**
     * Connects.
     *
     * @throws BrokerException naming the user, host and vhost (never the password) and what to check
     */
    static Connection connect(ConnectionUrl url, AmqpTransportOptions options, String connectionName) {
        ConnectionFactory f = factory(url, options, connectionName);
        String where = describe(url, options);
        try {
            return f.newConnection(connectionName);
        } catch (PossibleAuthenticationFailureException e) {
            throw new BrokerException("RabbitMQ refused the login of " + where + " (ACCESS_REFUSED): check the user name "
                    + "and password of broker_url " + url + " (create the user with: rabbitmqctl add_user <user> <password>)", e);
        } catch (ConnectException e) {
            throw new BrokerException("cannot reach RabbitMQ for " + where + ": " + e.getMessage()
                    + "; is it running? (rabbitmq-server -detached)", e);
        } catch (IOException e) {
            String reason = reason(e);
            if (reason.contains("vhost") || reason.contains("NOT_ALLOWED")) {
                throw new BrokerException("RabbitMQ refused " + where + ": " + reason + "; create the virtual host and "
                        + "grant the user access (rabbitmqctl add_vhost <vhost>; rabbitmqctl set_permissions -p <vhost> <user> "
                        + "\".*\" \".*\" \".*\"), or fix the path of broker_url " + url, e);
            }
            throw new BrokerException("cannot connect to RabbitMQ as " + where + " (broker_url " + url + "): " + reason, e);
        } catch (TimeoutException e) {
            throw new BrokerException("connecting to RabbitMQ as " + where + " timed out after "
                    + options.connectTimeout().toMillis() + " ms (broker_connection_timeout)", e);
        }
    }

    /** The server's reason inside an IOException from the RabbitMQ client, or the exception's message. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException s && s.getReason() != null) {
                Object r = s.getReason();
                if (r instanceof com.rabbitmq.client.Method m && m.protocolMethodName().contains("close")) {
                    if (r instanceof com.rabbitmq.client.AMQP.Connection.Close c) {
                        return c.getReplyText();
                    }
                    if (r instanceof com.rabbitmq.client.AMQP.Channel.Close c) {
                        return c.getReplyText();
                    }
                }
                return s.getMessage();
            }
        }
        return String.valueOf(e.getMessage() != null ? e.getMessage() : e);
    }

    /** True when {@code e} is RabbitMQ's 404 NOT_FOUND channel error. */
    static boolean notFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException s && s.getReason() instanceof com.rabbitmq.client.AMQP.Channel.Close c) {
                return c.getReplyCode() == 404;
            }
        }
        return false;
    }

    static Map<String, Object> noArgs() {
        return Map.of();
    }
}
