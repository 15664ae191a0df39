package org.celeriac.api.internal.processor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Filer;
import javax.annotation.processing.Messager;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import org.celeriac.api.DefaultValue;
import org.celeriac.api.Durations;
import org.celeriac.api.RateLimit;
import org.celeriac.api.Task;
import org.celeriac.api.internal.JsonLiteral;

/**
 * Turns every {@link Task @Task} method into a generated {@link org.celeriac.api.TaskDefinition}
 * (a subclass of {@link org.celeriac.api.internal.MethodTask} that calls the method directly) and
 * lists the generated classes in {@code META-INF/services/org.celeriac.api.TaskDefinition}, so a
 * worker finds its tasks with {@link java.util.ServiceLoader} and never scans the class path.
 *
 * <p>The generated class for {@code com.example.Tasks.Inner#add} is
 * {@code com.example.Tasks_Inner_add_CeleriacTask}; a second, third… {@code @Task} overload of the
 * same name gets {@code _2}, {@code _3}…. The default task name is {@code <binary class name>.<method>},
 * the analogue of Celery's {@code module.function}.
 *
 * <p>Compile errors, reported on the offending element: a private method; a class the generated code
 * cannot reach (private, local, anonymous or a non-static inner class); an instance method of an
 * abstract class or interface; a {@code TaskContext} that is not the first parameter; a malformed
 * {@code @DefaultValue} literal, rate limit or duration; two tasks with the same name.
 *
 * <p>javac runs it when {@code celeriac-api} is on the class path and processing is enabled
 * ({@code -proc:full} on JDK 23+), or from {@code annotationProcessorPaths}.
 */
public final class TaskProcessor extends AbstractProcessor {
    /** The service file the worker reads. */
    static final String SERVICE_FILE = "META-INF/services/org.celeriac.api.TaskDefinition";
    /** Name of the constant each generated class carries: the canonical name of the declaring class. */
    static final String DECLARING_CLASS_FIELD = "DECLARING_CLASS";
    private static final String SUFFIX = "_CeleriacTask";
    private static final String TASK_CONTEXT = "org.celeriac.api.TaskContext";

    private Elements elements;
    private Types types;
    private Filer filer;
    private Messager messager;
    /** Generated class name → canonical name of the declaring class. */
    private final Map<String, String> generated = new TreeMap<>();
    /** Task name → the method that declares it. */
    private final Map<String, ExecutableElement> taskNames = new LinkedHashMap<>();
    /** Canonical names of every type compiled in this run (their old service entries are replaced). */
    private final Set<String> compiledTypes = new HashSet<>();
    private final Set<String> usedClassNames = new HashSet<>();

    @Override
    public synchronized void init(ProcessingEnvironment env) {
        super.init(env);
        elements = env.getElementUtils();
        types = env.getTypeUtils();
        filer = env.getFiler();
        messager = env.getMessager();
    }

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        // @DefaultValue is read here too; claiming it keeps -Xlint:processing quiet.
        return Set.of(Task.class.getName(), DefaultValue.class.getName());
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        for (Element root : round.getRootElements()) {
            collectTypes(root);
        }
        for (ExecutableElement method : ElementFilter.methodsIn(round.getElementsAnnotatedWith(Task.class))) {
            try {
                process(method);
            } catch (RuntimeException e) {
                error(method, "Celeriac could not generate a task definition for this method: " + e);
            }
        }
        if (round.processingOver()) {
            writeServiceFile();
        }
        return true;
    }

    private void collectTypes(Element e) {
        if (e instanceof TypeElement t) {
            compiledTypes.add(t.getQualifiedName().toString());
            for (Element inner : t.getEnclosedElements()) {
                collectTypes(inner);
            }
        }
    }

    // ---- one method --------------------------------------------------------------------------------

    private void process(ExecutableElement method) {
        Task task = method.getAnnotation(Task.class);
        TypeElement owner = (TypeElement) method.getEnclosingElement();
        boolean isStatic = method.getModifiers().contains(Modifier.STATIC);
        String methodName = method.getSimpleName().toString();
        boolean ok = true;

        if (method.getModifiers().contains(Modifier.PRIVATE)) {
            error(method, "@Task method " + methodName + " must not be private: the generated task definition"
                    + " calls it directly; make it package-private or public");
            ok = false;
        }
        String reach = unreachable(owner);
        if (reach != null) {
            error(method, "@Task method " + methodName + " is declared in " + reach + "; the generated task"
                    + " definition cannot reach it. Declare @Task methods in a public or package-private"
                    + " top-level class or static nested class");
            ok = false;
        }
        if (!isStatic && (owner.getKind().isInterface() || owner.getModifiers().contains(Modifier.ABSTRACT))) {
            error(method, "instance @Task method " + methodName + " needs a concrete class to run on, but "
                    + owner.getQualifiedName() + " is abstract; make the method static or the class concrete");
            ok = false;
        }

        List<? extends VariableElement> params = method.getParameters();
        int n = params.size();
        boolean takesContext = n > 0 && isTaskContext(params.get(0).asType());
        String[] defaults = new String[n];
        for (int i = 0; i < n; i++) {
            VariableElement p = params.get(i);
            if (i > 0 && isTaskContext(p.asType())) {
                error(p, "a TaskContext parameter must be the first parameter of the @Task method");
                ok = false;
            }
            String privateType = privateType(p.asType());
            if (privateType != null) {
                error(p, "parameter type " + privateType + " is private; the generated task definition cannot"
                        + " name it. Make it package-private or public");
                ok = false;
            }
            DefaultValue dv = p.getAnnotation(DefaultValue.class);
            if (dv == null) {
                continue;
            }
            if (i == 0 && takesContext) {
                error(p, "the TaskContext parameter cannot have a @DefaultValue");
                ok = false;
            } else if (i == n - 1 && method.isVarArgs()) {
                error(p, "a varargs parameter (Python's *args) cannot have a @DefaultValue; it is empty"
                        + " when no extra arguments are given");
                ok = false;
            } else {
                try {
                    JsonLiteral.parse(dv.value());
                    defaults[i] = dv.value();
                } catch (IllegalArgumentException e) {
                    error(p, "@DefaultValue of parameter " + p.getSimpleName() + ": " + e.getMessage());
                    ok = false;
                }
            }
        }

        String options = optionsSource(method, task);
        if (options == null) {
            ok = false;
        }

        String taskName = task.name().isEmpty()
                ? elements.getBinaryName(owner) + "." + methodName
                : task.name();
        if (taskName.isBlank()) {
            error(method, "@Task(name = \"" + task.name() + "\") is blank; leave it out for the default"
                    + " name " + elements.getBinaryName(owner) + "." + methodName + " or give a name");
            ok = false;
        }
        ExecutableElement previous = taskNames.putIfAbsent(taskName, method);
        if (previous != null && previous != method) {
            String both = "task name '" + taskName + "' is declared twice: by " + describe(previous) + " and by "
                    + describe(method) + "; task names must be unique, so give one of them another @Task(name = ...)";
            error(method, both);
            error(previous, both);
            ok = false;
        }
        if (!ok) {
            return;
        }

        String pkg = elements.getPackageOf(owner).getQualifiedName().toString();
        String simpleName = generatedSimpleName(owner, method);
        String className = pkg.isEmpty() ? simpleName : pkg + "." + simpleName;
        String source = generateSource(pkg, simpleName, owner, method, taskName, options, takesContext, isStatic,
                defaults);
        try {
            JavaFileObject file = filer.createSourceFile(className, method);
            try (Writer w = file.openWriter()) {
                w.write(source);
            }
        } catch (IOException e) {
            error(method, "cannot write the generated task definition " + className + ": " + e.getMessage());
            return;
        }
        generated.put(className, owner.getQualifiedName().toString());
    }

    private boolean isTaskContext(TypeMirror t) {
        return t.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((DeclaredType) t).asElement()).getQualifiedName().contentEquals(TASK_CONTEXT);
    }

    /** Why generated code in the same package cannot call into {@code type}, or null when it can. */
    private static String unreachable(TypeElement type) {
        for (Element e = type; e instanceof TypeElement t; e = e.getEnclosingElement()) {
            if (t.getModifiers().contains(Modifier.PRIVATE)) {
                return "the private class " + t.getQualifiedName();
            }
            NestingKind nesting = t.getNestingKind();
            if (nesting == NestingKind.LOCAL || nesting == NestingKind.ANONYMOUS) {
                return "a " + nesting.name().toLowerCase(java.util.Locale.ROOT) + " class";
            }
            if (nesting == NestingKind.MEMBER && !t.getModifiers().contains(Modifier.STATIC)
                    && t.getKind() == ElementKind.CLASS
                    && !t.getEnclosingElement().getKind().isInterface()) {
                return "the inner (non-static) class " + t.getQualifiedName();
            }
        }
        return null;
    }

    /** The first private class named by {@code t} (the erasure), or null. */
    private String privateType(TypeMirror t) {
        TypeMirror e = types.erasure(t);
        if (e.getKind() == TypeKind.ARRAY) {
            return privateType(((ArrayType) e).getComponentType());
        }
        if (e.getKind() == TypeKind.DECLARED) {
            for (Element x = ((DeclaredType) e).asElement(); x instanceof TypeElement te; x = x.getEnclosingElement()) {
                if (te.getModifiers().contains(Modifier.PRIVATE)) {
                    return te.getQualifiedName().toString();
                }
            }
        }
        return null;
    }

    private String describe(ExecutableElement m) {
        StringBuilder sb = new StringBuilder(((TypeElement) m.getEnclosingElement()).getQualifiedName())
                .append('.').append(m.getSimpleName()).append('(');
        for (int i = 0; i < m.getParameters().size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(types.erasure(m.getParameters().get(i).asType()));
        }
        return sb.append(')').toString();
    }

    private String generatedSimpleName(TypeElement owner, ExecutableElement method) {
        List<String> names = new ArrayList<>();
        for (Element e = owner; e instanceof TypeElement t; e = e.getEnclosingElement()) {
            names.add(0, t.getSimpleName().toString());
        }
        String base = String.join("_", names) + "_" + method.getSimpleName();
        int overload = 0;
        int index = 0;
        for (ExecutableElement other : ElementFilter.methodsIn(owner.getEnclosedElements())) {
            if (other.getSimpleName().equals(method.getSimpleName()) && other.getAnnotation(Task.class) != null) {
                overload++;
                if (other.equals(method)) {
                    index = overload;
                }
            }
        }
        String pkg = elements.getPackageOf(owner).getQualifiedName().toString();
        String candidate = base + (index > 1 ? "_" + index : "") + SUFFIX;
        for (int k = 2; !usedClassNames.add(pkg + "." + candidate); k++) {
            candidate = base + (index > 1 ? "_" + index : "") + "_" + k + SUFFIX;
        }
        return candidate;
    }

    /** The Java expression of the task's options, or null after reporting a malformed option. */
    private String optionsSource(ExecutableElement method, Task task) {
        try {
            RateLimit.parse(task.rateLimit());
        } catch (IllegalArgumentException e) {
            error(method, "@Task(rateLimit = \"" + task.rateLimit() + "\"): " + e.getMessage());
            return null;
        }
        String[] durations = new String[4];
        String[] whats = {"defaultRetryDelay", "timeLimit", "softTimeLimit"};
        String[] texts = {task.defaultRetryDelay(), task.timeLimit(), task.softTimeLimit()};
        for (int i = 0; i < whats.length; i++) {
            try {
                Duration d = Durations.parseOrNull(whats[i], texts[i]);
                durations[i] = d == null ? "null" : "java.time.Duration.ofNanos(" + d.toNanos() + "L)";
            } catch (IllegalArgumentException e) {
                error(method, "@Task(" + whats[i] + " = \"" + texts[i] + "\"): " + e.getMessage());
                return null;
            }
        }
        return "new org.celeriac.api.TaskOptions("
                + stringOrNull(task.queue()) + ", "
                + stringOrNull(task.rateLimit()) + ", "
                + (task.maxRetries() < 0 ? "null" : "java.lang.Integer.valueOf(" + task.maxRetries() + ")") + ", "
                + durations[0] + ", "
                + (task.acksLate() ? "java.lang.Boolean.TRUE" : "null") + ", "
                + (task.ignoreResult() ? "java.lang.Boolean.TRUE" : "null") + ", "
                + durations[1] + ", "
                + durations[2] + ", "
                + stringOrNull(task.serializer()) + ", "
                + (task.trackStarted() ? "java.lang.Boolean.TRUE" : "null") + ")";
    }

    private static String stringOrNull(String s) {
        return s == null || s.isEmpty() ? "null" : literal(s);
    }

    // ---- code generation ---------------------------------------------------------------------------

    private String generateSource(String pkg, String simpleName, TypeElement owner, ExecutableElement method,
            String taskName, String options, boolean takesContext, boolean isStatic, String[] defaults) {
        String ownerName = erasedSource(owner.asType());
        List<? extends VariableElement> params = method.getParameters();
        StringBuilder classes = new StringBuilder();
        StringBuilder names = new StringBuilder();
        StringBuilder defaultLiterals = new StringBuilder();
        StringBuilder call = new StringBuilder();
        for (int i = 0; i < params.size(); i++) {
            VariableElement p = params.get(i);
            String sep = i == 0 ? "" : ", ";
            String type = erasedSource(p.asType());
            classes.append(sep).append(type).append(".class");
            names.append(sep).append(literal(p.getSimpleName().toString()));
            defaultLiterals.append(sep).append(defaults[i] == null ? "null" : literal(defaults[i]));
            if (i == 0 && takesContext) {
                call.append("ctx");
            } else if (type.equals("java.lang.Object")) {
                call.append(sep).append("p[").append(i).append(']');
            } else {
                call.append(sep).append('(').append(type).append(") p[").append(i).append(']');
            }
        }
        String target = isStatic ? ownerName : "ctx.taskInstance(" + ownerName + ".class)";
        String invocation = target + "." + method.getSimpleName() + "(" + call + ")";
        boolean isVoid = method.getReturnType().getKind() == TypeKind.VOID;
        boolean wrapThrowables = false;
        TypeMirror exception = elements.getTypeElement("java.lang.Exception").asType();
        TypeMirror error = elements.getTypeElement("java.lang.Error").asType();
        for (TypeMirror thrown : method.getThrownTypes()) {
            if (!types.isAssignable(thrown, exception) && !types.isAssignable(thrown, error)) {
                wrapThrowables = true;
            }
        }
        String body = isVoid
                ? "        " + invocation + ";\n        return null;\n"
                : "        return " + invocation + ";\n";
        if (wrapThrowables) {
            body = "        try {\n" + body.indent(4)
                    + "        } catch (java.lang.Exception | java.lang.Error e) {\n"
                    + "            throw e;\n"
                    + "        } catch (java.lang.Throwable t) {\n"
                    + "            throw new java.lang.reflect.UndeclaredThrowableException(t);\n"
                    + "        }\n";
        }
        return (pkg.isEmpty() ? "" : "package " + pkg + ";\n\n")
                + "/**\n"
                + " * Task {@code " + javadocSafe(taskName) + "}: runs {@link " + ownerName + "#"
                + method.getSimpleName() + "}.\n"
                + " * Generated by Celeriac's @Task processor (" + TaskProcessor.class.getName() + "); do not edit.\n"
                + " */\n"
                + "public final class " + simpleName + " extends org.celeriac.api.internal.MethodTask {\n"
                + "    /** Canonical name of the class that declares the task method. */\n"
                + "    public static final String " + DECLARING_CLASS_FIELD + " = "
                + literal(owner.getQualifiedName().toString()) + ";\n\n"
                + "    /** Called by {@link java.util.ServiceLoader}. */\n"
                + "    public " + simpleName + "() {\n"
                + "        super(" + literal(taskName) + ",\n"
                + "                " + options + ",\n"
                + "                " + ownerName + ".class,\n"
                + "                " + literal(method.getSimpleName().toString()) + ",\n"
                + "                new java.lang.Class<?>[] {" + classes + "},\n"
                + "                new java.lang.String[] {" + names + "},\n"
                + "                new java.lang.String[] {" + defaultLiterals + "},\n"
                + "                " + takesContext + ",\n"
                + "                " + isStatic + ");\n"
                + "    }\n\n"
                + "    @java.lang.Override\n"
                + "    @java.lang.SuppressWarnings({\"unchecked\", \"rawtypes\", \"cast\", \"deprecation\", \"removal\"})\n"
                + "    protected java.lang.Object invoke(org.celeriac.api.TaskContext ctx, java.lang.Object[] p)"
                + " throws java.lang.Exception {\n"
                + body
                + "    }\n"
                + "}\n";
    }

    /** The source name of the erasure of {@code t}: {@code java.util.List}, {@code long[]}, {@code a.B.C}. */
    private String erasedSource(TypeMirror t) {
        TypeMirror e = types.erasure(t);
        return switch (e.getKind()) {
            case ARRAY -> erasedSource(((ArrayType) e).getComponentType()) + "[]";
            case DECLARED -> ((TypeElement) ((DeclaredType) e).asElement()).getQualifiedName().toString();
            case BOOLEAN, BYTE, SHORT, INT, LONG, CHAR, FLOAT, DOUBLE ->
                    e.getKind().name().toLowerCase(java.util.Locale.ROOT);
            case TYPEVAR -> erasedSource(((javax.lang.model.type.TypeVariable) e).getUpperBound());
            default -> e.toString();
        };
    }

    private static String javadocSafe(String s) {
        return s.replace("*/", "*&#47;").replace("@", "&#64;").replace("{", "&#123;").replace("}", "&#125;");
    }

    /** A Java string literal. */
    static String literal(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    // ---- the service file --------------------------------------------------------------------------

    private void writeServiceFile() {
        List<String> existing = readExistingEntries();
        if (generated.isEmpty() && existing.isEmpty()) {
            return;
        }
        Set<String> entries = new TreeSet<>(generated.keySet());
        for (String old : existing) {
            if (!entries.contains(old) && stillValid(old)) {
                entries.add(old);
            }
        }
        try {
            FileObject file = filer.createResource(StandardLocation.CLASS_OUTPUT, "", SERVICE_FILE);
            try (Writer w = file.openWriter()) {
                w.write("# Generated by Celeriac's @Task processor (" + TaskProcessor.class.getName() + ").\n");
                for (String e : entries) {
                    w.write(e);
                    w.write('\n');
                }
            }
        } catch (IOException e) {
            messager.printMessage(Diagnostic.Kind.ERROR, "Celeriac cannot write " + SERVICE_FILE + ": " + e);
        }
    }

    /** Entries of a service file left by an earlier (incremental) compilation, or none. */
    private List<String> readExistingEntries() {
        List<String> out = new ArrayList<>();
        try {
            FileObject existing = filer.getResource(StandardLocation.CLASS_OUTPUT, "", SERVICE_FILE);
            try (Reader r = new InputStreamReader(existing.openInputStream(), StandardCharsets.UTF_8);
                    BufferedReader br = new BufferedReader(r)) {
                for (String line; (line = br.readLine()) != null;) {
                    int hash = line.indexOf('#');
                    String entry = (hash < 0 ? line : line.substring(0, hash)).strip();
                    if (!entry.isEmpty()) {
                        out.add(entry);
                    }
                }
            }
        } catch (IOException | IllegalArgumentException | UnsupportedOperationException e) {
            // no earlier file: nothing to merge
        }
        return out;
    }

    /**
     * An entry from an earlier compilation survives when its class still exists and, if it was
     * generated by this processor, its declaring class was not recompiled now (then the entries
     * generated in this run replace it) and still exists.
     */
    private boolean stillValid(String entry) {
        TypeElement type = elements.getTypeElement(entry);
        if (type == null) {
            return false;
        }
        for (VariableElement field : ElementFilter.fieldsIn(type.getEnclosedElements())) {
            if (field.getSimpleName().contentEquals(DECLARING_CLASS_FIELD) && field.getConstantValue() instanceof String d) {
                return !compiledTypes.contains(d) && elements.getTypeElement(d) != null;
            }
        }
        return true;
    }

    private void error(Element e, String message) {
        messager.printMessage(Diagnostic.Kind.ERROR, message, e);
    }
}
