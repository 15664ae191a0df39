package org.celeriac.transport.amqp;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.celeriac.serializer.json.JsonSerializerProvider;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared RabbitMQ on 127.0.0.1:5672 (guest/guest): skip (or fail on CI) when it is down; a private virtual host
 * per test class (rabbitmqctl add_vhost / set_permissions / delete_vhost), so nothing is left on the server.
 */
final class AmqpTestSupport {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5672;
    static final Serializer JSON = new JsonSerializerProvider().create(Settings.of(Map.of()));
    static final String PYTHON = "/usr/bin/python3";

    private AmqpTestSupport() {
    }

    static void requireRabbit() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, PORT), 500);
        } catch (IOException e) {
            unavailable("RabbitMQ is not running on " + HOST + ":" + PORT + " (start it with: rabbitmq-server -detached; "
                    + "rabbitmqctl await_startup)");
        }
    }

    static void unavailable(String msg) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(msg);
        }
        Assumptions.abort(msg);
    }

    /** Creates a fresh vhost that guest may use and returns its name. */
    static String createVhost(String what) {
        requireRabbit();
        String vhost = "celeriac-test-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
        rabbitmqctl("add_vhost", vhost);
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
        return vhost;
    }

    static void deleteVhost(String vhost) {
        if (vhost != null) {
            rabbitmqctl("delete_vhost", vhost);
        }
    }

    static String rabbitmqctl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(cmd + " exited with " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            unavailable("cannot run " + cmd.get(0) + ": " + e.getMessage());
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a Python snippet with /usr/bin/python3 (kombu, py-amqp) and returns its output. */
    static String python(String code) {
        if (!java.nio.file.Files.isExecutable(java.nio.file.Path.of(PYTHON))) {
            unavailable(PYTHON + " is missing (apt-get install -y python3-celery python3-amqp)");
        }
        return run(List.of(PYTHON, "-c", code)).strip();
    }

    static String url(String vhost) {
        return "amqp://guest:guest@" + HOST + ":" + PORT + "/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8);
    }

    static AmqpBroker open(String vhost, Map<String, ?> settings) {
        return (AmqpBroker) new AmqpBrokerProvider().create(ConnectionUrl.parse(url(vhost)), Settings.of(settings), context(null));
    }

    static RpcResultBackend rpc(AmqpBroker broker, Map<String, ?> settings) {
        return (RpcResultBackend) new RpcResultBackendProvider().create(ConnectionUrl.parse("rpc://"), Settings.of(settings),
                context(broker));
    }

    static ProviderContext context(Broker broker) {
        return new ProviderContext() {
            @Override
            public Optional<Broker> broker() {
                return Optional.ofNullable(broker);
            }

            @Override
            public Serializer resultSerializer() {
                return JSON;
            }

            @Override
            public Serializer serializer(String contentTypeOrName) {
                return JSON;
            }

            @Override
            public String nodeName() {
                return "test@localhost";
            }
        };
    }
}
