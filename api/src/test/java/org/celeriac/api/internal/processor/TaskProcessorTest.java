package org.celeriac.api.internal.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.celeriac.api.Task;
import org.celeriac.api.TaskArgumentException;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.internal.MethodTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskProcessorTest {
    private static final String SERVICE = "META-INF/services/org.celeriac.api.TaskDefinition";

    @TempDir
    Path out;

    record Result(boolean success, List<Diagnostic<? extends JavaFileObject>> diagnostics) {
        List<String> errors() {
            return diagnostics.stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(d -> d.getMessage(null)).toList();
        }
    }

    private static JavaFileObject source(String className, String code) {
        return new SimpleJavaFileObject(java.net.URI.create("string:///" + className.replace('.', '/') + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return code;
            }
        };
    }

    private Result compile(JavaFileObject... sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Path classes = Files.createDirectories(out.resolve("classes"));
        Path generated = Files.createDirectories(out.resolve("generated"));
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, null)) {
            List<String> options = List.of("-classpath", classes + File.pathSeparator + System.getProperty("java.class.path"),
                    "-d", classes.toString(), "-s", generated.toString(), "-Xlint:all", "-Werror");
            JavaCompiler.CompilationTask task = javac.getTask(null, fm, diagnostics, options, null, List.of(sources));
            task.setProcessors(List.of(new TaskProcessor()));
            boolean ok = task.call();
            return new Result(ok, diagnostics.getDiagnostics());
        }
    }

    private List<String> serviceEntries() throws IOException {
        return Files.readAllLines(out.resolve("classes").resolve(SERVICE)).stream()
                .filter(l -> !l.startsWith("#")).toList();
    }

    private Map<String, TaskDefinition> load(URLClassLoader loader) {
        return ServiceLoader.load(TaskDefinition.class, loader).stream().map(ServiceLoader.Provider::get)
                .collect(Collectors.toMap(TaskDefinition::name, Function.identity()));
    }

    private static final String CALC = """
            package demo;

            import java.util.List;
            import org.celeriac.api.DefaultValue;
            import org.celeriac.api.Task;
            import org.celeriac.api.TaskContext;

            public class Calc {
                private final String greeting = "hello";

                @Task(name = "calc.add", rateLimit = "10/m", maxRetries = 5, defaultRetryDelay = "30s",
                        acksLate = true, timeLimit = "1.5", queue = "math", trackStarted = true)
                public static long add(long x, @DefaultValue("1") long y) {
                    return x + y;
                }

                @Task
                public String greet(TaskContext ctx, String who) {
                    return greeting + " " + who + " from " + ctx.id();
                }

                @Task(name = "calc.over1")
                static int over(int a) {
                    return a;
                }

                @Task(name = "calc.over2")
                static int over(int a, int b) {
                    return a + b;
                }

                @Task(name = "calc.generic")
                @SafeVarargs
                static <T extends Number> int count(List<T> values, T... more) {
                    return values.size() + more.length;
                }

                @Task(name = "calc.boom")
                static void boom() throws Throwable {
                    throw new Throwable("thrown");
                }

                public static class Inner {
                    @Task
                    static void ping(Object... xs) {
                    }
                }
            }
            """;

    @Test
    void generatesOneDefinitionPerTaskMethodAndTheServiceFile() throws Exception {
        Result r = compile(source("demo.Calc", CALC));
        assertThat(r.diagnostics()).isEmpty();
        assertThat(r.success()).isTrue();
        assertThat(serviceEntries()).containsExactly(
                "demo.Calc_Inner_ping_CeleriacTask",
                "demo.Calc_add_CeleriacTask",
                "demo.Calc_boom_CeleriacTask",
                "demo.Calc_count_CeleriacTask",
                "demo.Calc_greet_CeleriacTask",
                "demo.Calc_over_2_CeleriacTask",
                "demo.Calc_over_CeleriacTask");
        assertThat(out.resolve("generated/demo/Calc_add_CeleriacTask.java")).content()
                .contains("extends org.celeriac.api.internal.MethodTask")
                .contains("return demo.Calc.add((long) p[0], (long) p[1]);")
                .doesNotContain("Method.invoke", ".invoke(");

        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.resolve("classes").toUri().toURL()},
                getClass().getClassLoader())) {
            Map<String, TaskDefinition> tasks = load(loader);
            assertThat(tasks).containsOnlyKeys("calc.add", "demo.Calc.greet", "calc.over1", "calc.over2",
                    "calc.generic", "calc.boom", "demo.Calc$Inner.ping");
            Class<?> calc = loader.loadClass("demo.Calc");
            assertThat(tasks.get("calc.add").declaringClass()).isEqualTo(calc);
            assertThat(tasks.get("demo.Calc$Inner.ping").declaringClass()).isEqualTo(loader.loadClass("demo.Calc$Inner"));

            TaskDefinition add = tasks.get("calc.add");
            Task annotation = ((MethodTask) add).method().getAnnotation(Task.class);
            assertThat(add.options()).isEqualTo(TaskOptions.of(annotation));
            assertThat(add.options().defaultRetryDelay()).isEqualTo(Duration.ofSeconds(30));
            assertThat(add.options().timeLimit()).isEqualTo(Duration.ofMillis(1500));
            assertThat(add.options().maxRetries()).isEqualTo(5);

            Context ctx = new Context();
            assertThat(add.run(ctx, List.of(2L), Map.of())).isEqualTo(3L);
            assertThat(add.run(ctx, List.of(2L), Map.of("y", 5L))).isEqualTo(7L);
            assertThatThrownBy(() -> add.run(ctx, List.of(1L, 2L, 3L), Map.of()))
                    .isInstanceOf(TaskArgumentException.class)
                    .hasMessage("add() takes from 1 to 2 positional arguments but 3 were given");

            assertThat(tasks.get("demo.Calc.greet").run(ctx, List.of("bob"), Map.of())).isEqualTo("hello bob from id-1");
            assertThat(ctx.instances).containsExactly(calc);
            assertThat(tasks.get("calc.over1").run(ctx, List.of(4L), Map.of())).isEqualTo(4);
            assertThat(tasks.get("calc.over2").run(ctx, List.of(4L, 5L), Map.of())).isEqualTo(9);
            assertThat(tasks.get("calc.generic").run(ctx, List.of(List.of(1L, 2L), 3L, 4.5), Map.of())).isEqualTo(4);
            assertThat(tasks.get("demo.Calc$Inner.ping").run(ctx, List.of(1L, "x"), Map.of())).isNull();
            assertThatThrownBy(() -> tasks.get("calc.boom").run(ctx, List.of(), Map.of()))
                    .isInstanceOf(UndeclaredThrowableException.class).hasRootCauseMessage("thrown");
        }
    }

    @Test
    void duplicateTaskNamesAreACompileErrorNamingBoth() throws Exception {
        Result r = compile(
                source("demo.A", "package demo; public class A { @org.celeriac.api.Task(name = \"dup\") public static void a() { } }"),
                source("demo.B", "package demo; class B { @org.celeriac.api.Task(name = \"dup\") static void b(long x) { } }"));
        assertThat(r.success()).isFalse();
        assertThat(r.errors()).isNotEmpty().allSatisfy(e -> assertThat(e)
                .contains("task name 'dup' is declared twice")
                .contains("demo.A.a()")
                .contains("demo.B.b(long)"));
    }

    @Test
    void invalidTaskMethodsAreCompileErrorsOnTheElement() throws Exception {
        Result r = compile(source("demo.Bad", """
                package demo;
                import org.celeriac.api.*;
                public abstract class Bad {
                    @Task(name = "p") private static void hidden() { }
                    @Task(name = "i") public void onAbstract() { }
                    @Task(name = "d") public static void badDefault(@DefaultValue("0x1") long n) { }
                    @Task(name = "c") public static void lateContext(long n, TaskContext ctx) { }
                    @Task(name = "r", rateLimit = "fast") public static void badRate() { }
                    @Task(name = "t", softTimeLimit = "soon") public static void badTime() { }
                    public class Inner { @Task(name = "n") public void inner() { } }
                }
                """));
        assertThat(r.success()).isFalse();
        List<String> errors = r.errors();
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("@Task method hidden must not be private"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("instance @Task method onAbstract needs a concrete class"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("@DefaultValue of parameter n: '0x1' is not a JSON literal"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("a TaskContext parameter must be the first parameter"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("@Task(rateLimit = \"fast\")"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("@Task(softTimeLimit = \"soon\")"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("the inner (non-static) class demo.Bad.Inner"));
        List<Long> lines = new ArrayList<>();
        r.diagnostics().stream().filter(d -> d.getMessage(null).contains("must not be private"))
                .forEach(d -> lines.add(d.getLineNumber()));
        assertThat(lines).containsExactly(4L);
    }

    @Test
    void anIncrementalCompileMergesEntriesOfClassesNotRecompiled() throws Exception {
        JavaFileObject a = source("demo.A", "package demo; public class A { @org.celeriac.api.Task public static void a() { } }");
        JavaFileObject b1 = source("demo.B", "package demo; public class B { @org.celeriac.api.Task public static void old() { } }");
        assertThat(compile(a, b1).diagnostics()).isEmpty();
        assertThat(serviceEntries()).containsExactly("demo.A_a_CeleriacTask", "demo.B_old_CeleriacTask");

        // Only B is recompiled: its task was renamed. A's entry stays, B's old one goes (its class file remains).
        JavaFileObject b2 = source("demo.B", "package demo; public class B { @org.celeriac.api.Task public static void renamed() { } }");
        assertThat(compile(b2).diagnostics()).isEmpty();
        assertThat(out.resolve("classes/demo/B_old_CeleriacTask.class")).exists();
        assertThat(serviceEntries()).containsExactly("demo.A_a_CeleriacTask", "demo.B_renamed_CeleriacTask");
    }

    /** A minimal TaskContext for running generated definitions. */
    static final class Context implements TaskContext {
        final List<Class<?>> instances = new ArrayList<>();

        @Override public String id() { return "id-1"; }
        @Override public String name() { return "t"; }
        @Override public List<Object> args() { return List.of(); }
        @Override public Map<String, Object> kwargs() { return Map.of(); }
        @Override public int retries() { return 0; }
        @Override public String rootId() { return "id-1"; }
        @Override public String parentId() { return null; }
        @Override public String groupId() { return null; }
        @Override public String hostname() { return "celery@test"; }
        @Override public Instant eta() { return null; }
        @Override public String deliveryQueue() { return null; }
        @Override public Map<String, Object> headers() { return Map.of(); }
        @Override public boolean isEager() { return true; }
        @Override public int maxRetries() { return 3; }
        @Override public RuntimeException retry(Duration countdown) { throw new UnsupportedOperationException(); }
        @Override public RuntimeException retry(Throwable cause, Duration countdown, Integer maxRetries) {
            throw new UnsupportedOperationException();
        }
        @Override public void updateState(String state, Map<String, Object> meta) { throw new UnsupportedOperationException(); }

        @Override
        public <T> T taskInstance(Class<T> type) {
            instances.add(type);
            try {
                return type.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
