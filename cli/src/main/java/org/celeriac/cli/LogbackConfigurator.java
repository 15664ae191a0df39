package org.celeriac.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.pattern.DynamicConverter;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The command line's logback configuration, in code rather than in a {@code logback.xml}: parsing XML loaded about
 * 600 classes (logback's Joran and the JDK's XML parser) and took a sixth of the worker's start-up time. Found by
 * logback through {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}.
 *
 * <p>Celery's default log format, {@code [%(asctime)s: %(levelname)s/%(processName)s] %(message)s}, on stderr
 * (stdout is reserved for a command's result), root level INFO ({@code -l LEVEL} changes it at run time, see
 * {@link Logging#setRootLevel}), and chatty third-party loggers at WARN. {@code --logfile} swaps the console
 * appender ({@link #CONSOLE}) for a file ({@link LogFile}) with the same {@link #PATTERN}.
 *
 * <p>A configuration file still wins: with {@code -Dlogback.configurationFile=…} or a {@code logback-test.xml} on
 * the class path this configurator steps aside and logback reads the file as usual. Called once by logback at
 * initialisation; not thread-safe.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogbackConfigurator extends ContextAwareBase implements Configurator {
    /** Celery's format; {@code %celeryLevel} is {@link CeleryLevelConverter}. */
    static final String PATTERN = "[%d{\"yyyy-MM-dd HH:mm:ss,SSS\"}: %celeryLevel/%thread] %msg%n";
    /** The console appender's name ({@link LogFile} detaches it). */
    static final String CONSOLE = "STDERR";
    private static final String[] QUIET_LOGGERS = {"org.hibernate", "com.zaxxer", "org.flywaydb", "org.h2",
            "h2database", "org.jboss"};

    /** For {@link java.util.ServiceLoader}. */
    public LogbackConfigurator() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null
                || LogbackConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        registerConverter(ctx);
        PatternLayoutEncoder encoder = encoder(ctx);
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName(CONSOLE);
        console.setTarget("System.err");
        console.setEncoder(encoder);
        console.start();
        for (String name : QUIET_LOGGERS) {
            ctx.getLogger(name).setLevel(Level.WARN);
        }
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** A started encoder of {@link #PATTERN} (registers {@code %celeryLevel} in {@code ctx} when needed). */
    static PatternLayoutEncoder encoder(LoggerContext ctx) {
        registerConverter(ctx);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }

    /** Registers {@code %celeryLevel}, as {@code <conversionRule>} does in a configuration file. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void registerConverter(LoggerContext ctx) {
        ctx.getConfigurationLock().lock();
        try {
            Object o = ctx.getObject(CoreConstants.PATTERN_RULE_REGISTRY_FOR_SUPPLIERS);
            Map<String, Supplier<DynamicConverter>> rules;
            if (o instanceof Map<?, ?> m) {
                rules = (Map<String, Supplier<DynamicConverter>>) m;
            } else {
                rules = new HashMap<>();
                ctx.putObject(CoreConstants.PATTERN_RULE_REGISTRY_FOR_SUPPLIERS, rules);
            }
            rules.putIfAbsent("celeryLevel", CeleryLevelConverter::new);
        } finally {
            ctx.getConfigurationLock().unlock();
        }
    }
}
