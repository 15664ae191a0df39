package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code amqps://} path filters py-amqp's {@code L} header ints as the plain one does: a real TLS server (a
 * self-signed certificate for IP 127.0.0.1 made with the JDK's keytool) sends a content-header frame whose headers
 * hold an {@code L} value, and the client socket made by {@link PyAmqpSslSocket#socketFactory} reads it as {@code l},
 * with the Java client's hostname verification (endpoint identification set through {@link SSLParameters}) still
 * in force.
 */
class PyAmqpSslSocketTest {
    @TempDir
    static Path dir;

    private static SSLContext tls;

    @BeforeAll
    static void certificate() throws Exception {
        Path keystore = dir.resolve("server.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "amqps", "-keyalg", "EC", "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }

    /** A content-header frame (type 2) whose headers table is {@code {"n": L 2^40}}, as py-amqp writes it. */
    static byte[] contentHeaderWithL() {
        ByteBuffer table = ByteBuffer.allocate(64);
        table.put((byte) 1).put((byte) 'n').put((byte) 'L').putLong(1L << 40);
        int tableLen = table.position();
        ByteBuffer payload = ByteBuffer.allocate(128);
        payload.putShort((short) 60).putShort((short) 0).putLong(0).putShort((short) 0x2000).putInt(tableLen)
                .put(table.array(), 0, tableLen);
        int size = payload.position();
        ByteBuffer frame = ByteBuffer.allocate(7 + size + 1);
        frame.put((byte) 2).putShort((short) 1).putInt(size).put(payload.array(), 0, size).put((byte) 0xCE);
        return frame.array();
    }

    private static CompletableFuture<Void> serveOneFrame(SSLServerSocket server, byte[] frame) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                out.write(frame);
                out.flush();
                s.getInputStream().read(); // until the client closes
            } catch (java.io.IOException e) {
                // the client refused the handshake (hostname test): nothing to serve
            }
        });
    }

    private static Socket client(String host, int port) throws Exception {
        Socket s = PyAmqpSslSocket.socketFactory(tls.getSocketFactory()).createSocket();
        assertThat(s).isInstanceOf(SSLSocket.class);
        // what ConnectionFactory.enableHostnameVerification() does to the socket before connecting
        SSLParameters params = ((SSLSocket) s).getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        ((SSLSocket) s).setSSLParameters(params);
        s.connect(new InetSocketAddress(host, port), 5000);
        return s;
    }

    @Test
    void anLHeaderIntArrivesAsLOverTls() throws Exception {
        byte[] frame = contentHeaderWithL();
        try (SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = serveOneFrame(server, frame);
            try (Socket s = client("127.0.0.1", server.getLocalPort())) {
                byte[] got = new byte[frame.length];
                new DataInputStream(s.getInputStream()).readFully(got);
                int typeAt = 7 + 2 + 2 + 8 + 2 + 4 + 2;
                assertThat(frame[typeAt]).isEqualTo((byte) 'L');
                assertThat(got[typeAt]).as("the header's type byte after the filter").isEqualTo((byte) 'l');
                got[typeAt] = 'L';
                assertThat(got).as("nothing else changed").isEqualTo(frame);
                assertThat(((SSLSocket) s).getSession().getProtocol()).startsWith("TLS");
            }
            served.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void hostnameVerificationStillApplies() throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = serveOneFrame(server, contentHeaderWithL());
            // the certificate names IP 127.0.0.1 only: "localhost" must not pass
            try (Socket s = client("localhost", server.getLocalPort())) {
                assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SSLHandshakeException.class);
            }
            served.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theAmqpsConnectionFactoryUsesTheFilteringSockets() throws Exception {
        AmqpTransportOptions options = AmqpTransportOptions.parse(org.celeriac.spi.Settings.of(java.util.Map.of()), true);
        com.rabbitmq.client.ConnectionFactory f = AmqpConnections.factory(
                org.celeriac.spi.ConnectionUrl.parse("amqps://guest:guest@127.0.0.1:5671//"), options, "test");
        assertThat(f.getSocketFactory().createSocket()).isInstanceOf(PyAmqpSslSocket.class);
        assertThat(f.isSSL()).isTrue();
    }
}
