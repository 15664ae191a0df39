package org.celeriac.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not Celeriac: a plain RabbitMQ Java client loop that publishes confirmed messages from one thread and counts
 * until every confirm arrived, to find what limits the confirm rate (issue #6/#11). One variant per run, given as
 * {@code key=value} arguments; it prints one line with the rate and the CPU that {@code beam.smp} (found in
 * {@code /proc}, same machine only) and this process used per message, and RabbitMQ's scheduler threads.
 *
 * <pre>
 * java -cp "$(cat benchmarks/target/bench-build/classpath.txt)" org.celeriac.benchmarks.AmqpConfirmProbe \
 *     [url=amqp://guest:guest@127.0.0.1:5672/%2F] [n=50000] [warm=3000] [conns=1] [chans=1] [queues=1]
 *     [persistent=true] [headers=true|nonull|few|false] [size=-1] [mandatory=true] [confirm=true]
 *     [queue_version=1|2] [lazy=false] [consumer=false] [drain=false]
 * </pre>
 *
 * {@code chans} channels per connection are used round-robin by the one publishing thread; {@code headers=true}
 * sends Celery's 16 task headers (as protocol 2 with nulls), {@code nonull} only the non-null ones, {@code few} two;
 * {@code size} replaces the Celery body by that many zero bytes; {@code consumer} reads the queue during the run;
 * {@code drain} consumes and acks the published messages afterwards (prefetch 256, one ack each). Queues are fresh
 * ({@code confirmprobe.<random>.<i>}, durable) and deleted afterwards. Blocking; run it alone.
 */
public final class AmqpConfirmProbe {
    private static final AtomicLong ACKS = new AtomicLong();
    private static final AtomicLong RETURNS = new AtomicLong();
    private static final byte[] CELERY_BODY = "[[], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]"
            .getBytes(StandardCharsets.UTF_8);

    private AmqpConfirmProbe() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (String s : args) {
            int i = s.indexOf('=');
            if (i < 1) {
                throw new IllegalArgumentException("arguments are key=value, got " + s);
            }
            o.put(s.substring(0, i), s.substring(i + 1));
        }
        int n = Integer.parseInt(o.getOrDefault("n", "50000"));
        int warm = Integer.parseInt(o.getOrDefault("warm", "3000"));
        int conns = Integer.parseInt(o.getOrDefault("conns", "1"));
        int chans = Integer.parseInt(o.getOrDefault("chans", "1"));
        int queues = Integer.parseInt(o.getOrDefault("queues", "1"));
        boolean persistent = Boolean.parseBoolean(o.getOrDefault("persistent", "true"));
        String headers = o.getOrDefault("headers", "true");
        int size = Integer.parseInt(o.getOrDefault("size", "-1"));
        boolean mandatory = Boolean.parseBoolean(o.getOrDefault("mandatory", "true"));
        boolean confirm = Boolean.parseBoolean(o.getOrDefault("confirm", "true"));
        int queueVersion = Integer.parseInt(o.getOrDefault("queue_version", "1"));
        boolean lazy = Boolean.parseBoolean(o.getOrDefault("lazy", "false"));
        boolean consumer = Boolean.parseBoolean(o.getOrDefault("consumer", "false"));
        boolean drain = Boolean.parseBoolean(o.getOrDefault("drain", "false"));

        ConnectionFactory f = new ConnectionFactory();
        f.setUri(o.getOrDefault("url", "amqp://guest:guest@127.0.0.1:5672/%2F"));
        String tag = UUID.randomUUID().toString().substring(0, 8);
        try (Connection admin = f.newConnection("confirmprobe-admin")) {
            Channel ac = admin.createChannel();
            List<String> qs = new ArrayList<>();
            for (int q = 0; q < queues; q++) {
                String name = "confirmprobe." + tag + "." + q;
                Map<String, Object> qa = new HashMap<>();
                if (queueVersion != 1) {
                    qa.put("x-queue-version", queueVersion);
                }
                if (lazy) {
                    qa.put("x-queue-mode", "lazy");
                }
                ac.queueDeclare(name, true, false, false, qa.isEmpty() ? null : qa);
                qs.add(name);
            }
            List<Connection> open = new ArrayList<>();
            try {
                Connection[] cs = new Connection[conns];
                for (int i = 0; i < conns; i++) {
                    cs[i] = f.newConnection("confirmprobe-" + i);
                    open.add(cs[i]);
                }
                Channel[] ch = new Channel[conns * chans];
                AtomicLong confirmed = new AtomicLong();
                long[] watermark = new long[ch.length];
                for (int i = 0; i < ch.length; i++) {
                    ch[i] = cs[i % conns].createChannel();
                    if (confirm) {
                        ch[i].confirmSelect();
                        int idx = i;
                        ch[i].addConfirmListener(new ConfirmListener() {
                            @Override
                            public void handleAck(long seq, boolean multiple) {
                                ACKS.incrementAndGet();
                                settled(seq);
                            }

                            @Override
                            public void handleNack(long seq, boolean multiple) {
                                System.err.println("basic.nack " + seq);
                                settled(seq);
                            }

                            // one queue per channel: RabbitMQ confirms in order, so a watermark counts them
                            private void settled(long seq) {
                                synchronized (watermark) {
                                    if (seq > watermark[idx]) {
                                        confirmed.addAndGet(seq - watermark[idx]);
                                        watermark[idx] = seq;
                                        watermark.notifyAll();
                                    }
                                }
                            }
                        });
                    }
                    ch[i].addReturnListener(r -> RETURNS.incrementAndGet());
                }
                if (consumer) {
                    Connection cc = f.newConnection("confirmprobe-consumer");
                    open.add(cc);
                    for (String q : qs) {
                        Channel c = cc.createChannel();
                        c.basicQos(1000);
                        c.basicConsume(q, false, new DefaultConsumer(c) {
                            @Override
                            public void handleDelivery(String t, Envelope e, AMQP.BasicProperties p, byte[] b) throws IOException {
                                if (e.getDeliveryTag() % 100 == 0) {
                                    getChannel().basicAck(e.getDeliveryTag(), true);
                                }
                            }
                        });
                    }
                }
                byte[] body = size < 0 ? CELERY_BODY : new byte[size];
                long beam = beamPid();
                Run r = new Run(ch, qs, body, headers, persistent, mandatory, confirm, confirmed, watermark, beam);
                r.run(warm);
                Thread.sleep(300);
                String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
                String line = r.run(n);
                String drained = drain ? drain(f, qs.get(0), n + warm, beam) : "";
                System.out.println(String.join(" ", args) + " | " + line + " load1=" + load + drained);
            } finally {
                for (Connection c : open) {
                    c.abort();
                }
                for (String q : qs) {
                    ac.queueDelete(q);
                }
            }
        }
    }

    private static String drain(ConnectionFactory f, String queue, int count, long beam) throws Exception {
        try (Connection dc = f.newConnection("confirmprobe-drain")) {
            Channel d = dc.createChannel();
            d.basicQos(256);
            CountDownLatch left = new CountDownLatch(count);
            long b0 = cpuTicks(beam);
            long t0 = System.nanoTime();
            d.basicConsume(queue, false, new DefaultConsumer(d) {
                @Override
                public void handleDelivery(String t, Envelope e, AMQP.BasicProperties p, byte[] b) throws IOException {
                    getChannel().basicAck(e.getDeliveryTag(), false);
                    left.countDown();
                }
            });
            if (!left.await(300, TimeUnit.SECONDS)) {
                throw new IllegalStateException("drain incomplete");
            }
            double s = (System.nanoTime() - t0) / 1e9;
            long b1 = cpuTicks(beam);
            return String.format(Locale.ROOT, " | drained %.0f/s, beam %.0f µs/msg", count / s, (b1 - b0) * 1e4 / count);
        }
    }

    /** Publishes a batch from the calling thread and waits for every confirm. */
    private record Run(Channel[] ch, List<String> qs, byte[] body, String headers, boolean persistent, boolean mandatory,
                       boolean confirm, AtomicLong confirmed, long[] watermark, long beam) {
        String run(int n) throws Exception {
            long base = confirmed.get();
            long a0 = ACKS.get();
            long b0 = cpuTicks(beam);
            long p0 = cpuTicks(ProcessHandle.current().pid());
            Map<String, Long> th0 = threads(beam);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String id = UUID.randomUUID().toString();
                AMQP.BasicProperties.Builder pb = new AMQP.BasicProperties.Builder().contentType("application/json")
                        .contentEncoding("utf-8").deliveryMode(persistent ? 2 : 1).priority(0);
                if (!headers.equals("false")) {
                    pb.correlationId(id).headers(celeryHeaders(id, headers));
                }
                ch[i % ch.length].basicPublish("", qs.get(i % qs.size()), mandatory, pb.build(), body);
            }
            long t1 = System.nanoTime();
            if (confirm) {
                synchronized (watermark) {
                    while (confirmed.get() - base < n) {
                        watermark.wait(100);
                    }
                }
            }
            long t2 = System.nanoTime();
            long b1 = cpuTicks(beam);
            long p1 = cpuTicks(ProcessHandle.current().pid());
            Map<String, Long> th1 = threads(beam);
            double s = (t2 - t0) / 1e9;
            StringBuilder tb = new StringBuilder();
            th1.forEach((name, ticks) -> {
                long pct = Math.round((ticks - th0.getOrDefault(name, 0L)) / s);
                if (pct >= 3) {
                    tb.append(' ').append(name).append('=').append(pct).append('%');
                }
            });
            return String.format(Locale.ROOT, "handed %.0f/s, confirmed %.0f/s (%.2f s); beam %.0f%% = %.0f µs/msg, "
                            + "client %.0f%% = %.0f µs/msg; acks/msg %.3f, returns %d; beam threads:%s",
                    n / ((t1 - t0) / 1e9), n / s, s, (b1 - b0) / s, (b1 - b0) * 1e4 / n, (p1 - p0) / s,
                    (p1 - p0) * 1e4 / n, (ACKS.get() - a0) / (double) n, RETURNS.get(), tb);
        }
    }

    /** Celery protocol 2 task headers (what {@code TaskProtocol} sends for a call without options). */
    static Map<String, Object> celeryHeaders(String id, String mode) {
        Map<String, Object> h = new HashMap<>();
        if (mode.equals("few")) {
            h.put("task", "bench.noop");
            h.put("id", id);
            return h;
        }
        h.put("lang", "py");
        h.put("task", "bench.noop");
        h.put("id", id);
        h.put("shadow", null);
        h.put("eta", null);
        h.put("expires", null);
        h.put("group", null);
        h.put("group_index", null);
        h.put("retries", 0);
        h.put("timelimit", Arrays.asList(null, null));
        h.put("root_id", id);
        h.put("parent_id", null);
        h.put("argsrepr", "()");
        h.put("kwargsrepr", "{}");
        h.put("origin", "gen12345@host-name-here");
        h.put("ignore_result", true);
        if (mode.equals("nonull")) {
            h.values().removeIf(Objects::isNull);
            h.remove("timelimit");
        }
        return h;
    }

    private static long beamPid() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : ds) {
                try {
                    if (Files.readString(p.resolve("comm")).trim().startsWith("beam")) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        }
        return -1;
    }

    /** utime + stime of a process in clock ticks (1/100 s); 0 when unknown. */
    private static long cpuTicks(long pid) {
        if (pid <= 0) {
            return 0;
        }
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException e) {
            return 0;
        }
    }

    /** CPU ticks per thread name of a process. */
    private static Map<String, Long> threads(long pid) {
        Map<String, Long> m = new TreeMap<>();
        if (pid <= 0) {
            return m;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : ds) {
                try {
                    String s = Files.readString(t.resolve("stat"));
                    String name = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
                    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                    m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return m;
        }
        return m;
    }
}
