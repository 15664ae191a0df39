package org.celeriac.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.celeriac.core.Celeriac;
import org.celeriac.core.config.ConfigException;
import org.celeriac.core.config.LogCapture;
import org.celeriac.core.registry.TaskRegistry;
import org.junit.jupiter.api.Test;

class TaskRoutesTest {
    private static final ClassLoader CL = TaskRoutesTest.class.getClassLoader();

    /** A router class named in task_routes. */
    public static final class EvenOdd implements Router {
        @Override
        public Route route(String taskName, List<Object> args, Map<String, Object> kwargs) {
            if (!taskName.equals("math.parity") || args.isEmpty()) {
                return null;
            }
            return Route.toQueue(((Number) args.get(0)).longValue() % 2 == 0 ? "even" : "odd");
        }
    }

    private static TaskRoutes routes(Object setting) {
        return new TaskRoutes(setting, List.of(), "celery", Set.of(), CL);
    }

    private static String queue(TaskRoutes r, String task) {
        return r.resolve(task, List.of(), Map.of(), null, null, null, null).queue();
    }

    @Test
    void exactNamesGlobsAndRegexesRouteAsCeleryMapRoute() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("tasks.add", "low-priority");
        map.put("feed.*", Map.of("queue", "feeds"));
        map.put("re:(video|image)\\.tasks\\..*", Map.of("queue", "media", "exchange", "media-ex", "routing_key", "media.x"));
        map.put("tasks.*", "other");
        TaskRoutes r = routes(map);
        assertThat(queue(r, "tasks.add")).isEqualTo("low-priority");
        assertThat(queue(r, "tasks.mul")).isEqualTo("other");
        assertThat(queue(r, "feed.import.rss")).isEqualTo("feeds");
        Route media = r.resolve("image.tasks.resize", List.of(), Map.of(), null, null, null, null);
        assertThat(media).isEqualTo(new Route("media", "media-ex", "media.x", null));
        assertThat(queue(r, "unrouted")).isEqualTo("celery");
        assertThat(queue(r, "xvideo.tasks.a")).as("re.match anchors at the start").isEqualTo("celery");
    }

    @Test
    void callOptionsAndTheTasksOwnQueueWinOverRoutes() {
        TaskRoutes r = routes(Map.of("tasks.add", "routed"));
        assertThat(r.resolve("tasks.add", List.of(), Map.of(), "explicit", null, null, "own").queue()).isEqualTo("explicit");
        assertThat(r.resolve("tasks.add", List.of(), Map.of(), null, null, null, "own").queue()).isEqualTo("own");
        assertThat(r.resolve("tasks.add", List.of(), Map.of(), null, null, null, null).queue()).isEqualTo("routed");
    }

    @Test
    void aListOfRoutersIsAskedInOrderIncludingRouterClassesByName() {
        TaskRoutes r = routes(List.of(EvenOdd.class.getName(), Map.of("math.*", "math")));
        assertThat(r.resolve("math.parity", List.of(4L), Map.of(), null, null, null, null).queue()).isEqualTo("even");
        assertThat(r.resolve("math.parity", List.of(3L), Map.of(), null, null, null, null).queue()).isEqualTo("odd");
        assertThat(r.resolve("math.sqrt", List.of(3L), Map.of(), null, null, null, null).queue()).isEqualTo("math");
    }

    @Test
    void badRoutesNameTheSettingAndTheAcceptedForms() {
        assertThatThrownBy(() -> routes(List.of("com.example.NoSuchRouter")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("task_routes[0]")
                .hasMessageContaining("NoSuchRouter").hasMessageContaining(Router.class.getName());
        assertThatThrownBy(() -> routes(Map.of("re:([a-z", "q")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("task_routes['re:([a-z']")
                .hasMessageContaining("regular expression");
        assertThatThrownBy(() -> routes(Map.of("tasks.add", 42)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("task_routes['tasks.add']")
                .hasMessageContaining("queue name or a dict");
        assertThatThrownBy(() -> routes(List.of(String.class.getName())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("does not implement");
    }

    @Test
    void aRouteToAQueueNobodyDeclaredIsAllowedAndLoggedOnce() {
        try (LogCapture logs = LogCapture.of(TaskRoutes.class)) {
            TaskRoutes r = new TaskRoutes(Map.of("a.*", "nowhere", "b.*", "known"), List.of(), "celery",
                    Set.of("known"), CL);
            assertThat(queue(r, "a.one")).isEqualTo("nowhere");
            assertThat(queue(r, "a.two")).isEqualTo("nowhere");
            assertThat(queue(r, "b.one")).isEqualTo("known");
            assertThat(logs.messages(Level.WARN)).hasSize(1).first().asString()
                    .contains("'nowhere'").contains("-Q nowhere");
        }
    }

    @Test
    void theClientPublishesToTheRoutedQueueAndRouterBuilderInstancesComeLast() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        try (Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of()))
                .set("task_routes", Map.of("tasks.add", "low-priority", "re:reports\\..*", Map.of("queue", "reports")))
                .router((name, args, kwargs) -> name.equals("x.y") ? Route.toQueue("from-builder") : null)
                .build()) {
            Celeriac.published(app.sendTask("tasks.add", List.of(1, 2), Map.of(), null)).join();
            Celeriac.published(app.sendTask("reports.render", List.of(), Map.of(), null)).join();
            Celeriac.published(app.sendTask("x.y", List.of(), Map.of(), null)).join();
            Celeriac.published(app.sendTask("other", List.of(), Map.of(), null)).join();
            assertThat(app.broker().messageCount("low-priority")).isEqualTo(1);
            assertThat(app.broker().messageCount("reports")).isEqualTo(1);
            assertThat(app.broker().messageCount("from-builder")).isEqualTo(1);
            assertThat(app.broker().messageCount("celery")).isEqualTo(1);
        }
    }
}
