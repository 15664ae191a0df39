package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of a Celeriac worker running with {@code task_acks_late} over RabbitMQ in the middle of a batch of 1,000
 * tasks (results through {@code rpc://} to this JVM): RabbitMQ requeues what the dead connection held at once, a
 * second worker runs it, every task reaches SUCCESS, the tasks the killed worker had received but not finished are
 * run by the second one, and the queue ends empty with nothing unacknowledged. Private vhost. Tagged {@code fault}:
 * {@code mvn test -pl interop-tests -Dgroups=fault}.
 */
@Tag("fault")
class AmqpKillFaultTest {
    private static final int TASKS = 1000;
    private static final int KILL_AFTER = 150;
    private static final double SLEEP = 0.02;
    private static final Pattern RECEIVED = Pattern.compile("Task tasks\\.sleep\\[([^\\]]+)\\] received");
    private static final Map<String, String> ACKS_LATE = Map.of("CELERIAC_TASK_ACKS_LATE", "true");

    private final List<AutoCloseable> resources = new ArrayList<>();
    private String vhost;

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        AmqpInterop.deleteVhost(vhost);
    }

    @Test
    void a_killed_acks_late_java_worker_loses_nothing_of_1000_tasks() throws Exception {
        AmqpInterop.requireRabbit();
        Path dir = Files.createTempDirectory("amqp-kill9");
        vhost = AmqpInterop.createVhost("kill9");
        String url = AmqpInterop.url(vhost);
        String queue = Interop.uniqueQueue("amqp-kill9");
        AmqpInterop.Proc first = AmqpInterop.Proc.javaWorker(dir, "first", url, "rpc://", queue, 4, ACKS_LATE);
        resources.add(first);
        first.awaitReady(Duration.ofSeconds(60));
        Celeriac app = Celeriac.builder().set("broker_url", url).set("result_backend", "rpc://").build();
        resources.add(app);

        List<AsyncResult<Object>> results = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            results.add(app.sendTask("tasks.sleep", List.of(SLEEP), Map.of(), ApplyOptions.builder().queue(queue).build()));
        }
        Awaitility.await("the first worker has done " + KILL_AFTER + " tasks").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> Interop.succeededIds(first.log(), "tasks.sleep").size() >= KILL_AFTER);
        first.kill9();

        String firstLog = first.log();
        Set<String> doneByFirst = new HashSet<>(Interop.succeededIds(firstLog, "tasks.sleep"));
        Set<String> heldByFirst = new HashSet<>();
        Matcher m = RECEIVED.matcher(firstLog);
        while (m.find()) {
            if (!doneByFirst.contains(m.group(1))) {
                heldByFirst.add(m.group(1));
            }
        }
        assertThat(doneByFirst.size()).as("killed in the middle of the batch").isLessThan(TASKS);
        assertThat(heldByFirst).as("tasks the killed worker had received but not finished").isNotEmpty();
        Awaitility.await("RabbitMQ requeued what the dead connection held").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).until(() -> AmqpInterop.queueCounts(vhost, queue)[1] == 0);
        assertThat(AmqpInterop.queueCounts(vhost, queue)[0]).as("ready again after the kill")
                .isGreaterThanOrEqualTo(TASKS - doneByFirst.size() - 16L);

        Instant restart = Instant.now();
        AmqpInterop.Proc second = AmqpInterop.Proc.javaWorker(dir, "second", url, "rpc://", queue, 4, ACKS_LATE);
        resources.add(second);
        second.awaitReady(Duration.ofSeconds(60));
        for (AsyncResult<Object> r : results) {
            assertThat(r.get(Duration.ofSeconds(90))).as("result of %s", r.id()).isEqualTo(SLEEP);
        }
        List<String> doneBySecond = Interop.succeededIds(second.log(), "tasks.sleep");
        Set<String> ran = new HashSet<>(doneByFirst);
        ran.addAll(doneBySecond);
        assertThat(ran).as("every task ran at least once").containsAll(results.stream().map(AsyncResult::id).toList());
        assertThat(doneBySecond).as("the held tasks were redelivered to the second worker").containsAll(heldByFirst);
        Awaitility.await("queue empty, nothing unacknowledged").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    long[] c = AmqpInterop.queueCounts(vhost, queue);
                    return c[0] == 0 && c[1] == 0;
                });
        System.out.printf("AMQP: %d tasks, kill -9 after %d done, %d held; the second worker finished in %s%n", TASKS,
                doneByFirst.size(), heldByFirst.size(), Duration.between(restart, Instant.now()));
    }
}
