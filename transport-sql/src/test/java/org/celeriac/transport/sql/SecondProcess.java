package org.celeriac.transport.sql;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;

/**
 * The other process of {@link TwoProcessesTest}: opens the broker (becoming the H2 AUTO_SERVER host),
 * consumes a queue printing {@code GOT <id>} per message, and on {@code STOP} (or end of input) closes the
 * broker, prints {@code CLOSED} and exits. With a third argument {@code hold} (used by
 * {@link AbstractSqlLeaseTest}) it uses a 1 s {@code lease_timeout} and never acks: it is killed with
 * SIGKILL while it holds its deliveries, like a worker with {@code acks_late} dying mid-batch.
 */
public final class SecondProcess {
    private SecondProcess() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        boolean hold = args.length > 2 && args[2].equals("hold");
        Broker broker = TestSupport.open(args[0], hold ? Map.of("lease_timeout", 1) : Map.of());
        CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
        Consumer consumer = broker.consume(List.of(args[1]), 10, d -> {
            synchronized (out) {
                out.println("GOT " + TestSupportIds.id(d));
            }
            if (!hold) {
                ref.join().ack(d);
            }
        });
        ref.complete(consumer);
        out.println("READY " + System.getProperty("h2.bindAddress"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("STOP"); ) {
            // wait
        }
        broker.close();
        out.println("CLOSED");
        System.exit(0);
    }
}
