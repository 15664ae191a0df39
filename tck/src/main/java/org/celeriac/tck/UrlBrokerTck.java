package org.celeriac.tck;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.junit.jupiter.api.Assumptions;

/**
 * {@link BrokerTck} against the broker named by a URL ({@link TckConfiguration#brokerUrl()}, system
 * property {@value TckConfiguration#BROKER_URL}), found through {@link java.util.ServiceLoader} like
 * core does. This is what {@code celeriac tck --broker URL} runs.
 *
 * <p>Hooks by convention, since the SPI has no test-support interface: when the broker class has a
 * public method {@code crash(org.celeriac.spi.broker.Consumer)} it simulates a crashed consumer
 * (B-5.3); a public {@code List<Message> deadLetters(String queue)} exposes dead letters (B-3.4). A
 * restart (B-8.1) closes the broker and creates a new one from the same URL, so it checks durability
 * across connections, not across a server restart. The quiet period is three times the declared delay
 * precision (a polling transport's interval), between 300 ms and 3 s.
 */
public class UrlBrokerTck extends BrokerTck {

    /** For JUnit. */
    public UrlBrokerTck() {
    }

    private static TckConfiguration configuration() {
        return TckContext.configuration();
    }

    @Override
    protected Broker createBroker() {
        String url = configuration().brokerUrl();
        Assumptions.assumeTrue(url != null, "no broker URL: set -D" + TckConfiguration.BROKER_URL
                + "=URL (or celeriac tck --broker URL)");
        return Providers.broker(url, Settings.of(configuration().settings()), TckContext.classLoader());
    }

    @Override
    protected void crashConsumer(Broker broker, Consumer consumer) {
        Method crash = publicMethod(broker, "crash", Consumer.class);
        Assumptions.assumeTrue(crash != null, () -> broker.getClass().getName() + " has no public method crash(Consumer), "
                + "the convention UrlBrokerTck uses for BrokerTck.crashConsumer; run the TCK from a subclass that "
                + "overrides crashConsumer to check crash redelivery");
        invoke(crash, broker, consumer);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected Optional<List<Message>> deadLetters(Broker broker, String queue) {
        Method m = publicMethod(broker, "deadLetters", String.class);
        if (m == null || !List.class.isAssignableFrom(m.getReturnType())) {
            return Optional.empty();
        }
        return Optional.of((List<Message>) invoke(m, broker, queue));
    }

    @Override
    protected Broker restartBroker(Broker broker) {
        broker.close();
        return createBroker();
    }

    @Override
    protected Duration quietPeriod() {
        BrokerCapabilities c = broker().capabilities();
        Duration min = Duration.ofMillis(300);
        if (!c.delayedDelivery() || c.delayPrecision() == null) {
            return min;
        }
        Duration three = c.delayPrecision().multipliedBy(3);
        if (three.compareTo(min) < 0) {
            return min;
        }
        return three.compareTo(Duration.ofSeconds(3)) > 0 ? Duration.ofSeconds(3) : three;
    }

    private static Method publicMethod(Object target, String name, Class<?> parameter) {
        try {
            Method m = target.getClass().getMethod(name, parameter);
            return java.lang.reflect.Modifier.isPublic(m.getDeclaringClass().getModifiers()) ? m : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static Object invoke(Method m, Object target, Object arg) {
        try {
            return m.invoke(target, arg);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(m + " failed", e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call " + m + ": " + e.getMessage(), e);
        }
    }
}
