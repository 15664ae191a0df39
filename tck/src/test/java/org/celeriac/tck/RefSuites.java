package org.celeriac.tck;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.serializer.Serializer;

/**
 * The TCK run against the TCK's own reference implementations: {@code Reference*} must pass, every
 * other class here has one fault and must fail the matching rule ({@link TckSelfTest} runs them
 * through {@link TckRunner}; Surefire does not pick these classes up by itself).
 */
final class RefSuites {
    private RefSuites() {
    }

    abstract static class RefBrokerSuite extends BrokerTck {
        private final Set<RefBroker.Fault> faults;
        private RefBroker.Store store = new RefBroker.Store();

        RefBrokerSuite(RefBroker.Fault... faults) {
            this.faults = faults.length == 0 ? EnumSet.noneOf(RefBroker.Fault.class) : EnumSet.of(faults[0], faults);
        }

        @Override
        protected Broker createBroker() {
            return new RefBroker(store, faults);
        }

        @Override
        protected void crashConsumer(Broker broker, Consumer consumer) {
            ((RefBroker) broker).crash(consumer);
        }

        @Override
        protected Broker restartBroker(Broker broker) {
            broker.close();
            if (faults.contains(RefBroker.Fault.NOT_DURABLE)) {
                store = new RefBroker.Store();
            }
            return createBroker();
        }

        @Override
        protected Duration quietPeriod() {
            return Duration.ofMillis(200);
        }

        @Override
        protected Duration timeout() {
            return Duration.ofSeconds(2);
        }
    }

    abstract static class RefBackendSuite extends ResultBackendTck {
        private final Set<RefResultBackend.Fault> faults;
        private final RefResultBackend.Store store = new RefResultBackend.Store();

        RefBackendSuite(RefResultBackend.Fault... faults) {
            this.faults = faults.length == 0 ? EnumSet.noneOf(RefResultBackend.Fault.class) : EnumSet.of(faults[0], faults);
        }

        @Override
        protected ResultBackend createBackend() {
            return new RefResultBackend(store, faults, null);
        }

        @Override
        protected ResultBackend createBackend(Duration resultExpires) {
            return new RefResultBackend(store, faults, resultExpires);
        }

        @Override
        protected ResultBackend reopenBackend() {
            return createBackend();
        }
    }

    abstract static class RefSerializerSuite extends SerializerTck {
        private final Set<RefSerializer.Fault> faults;

        RefSerializerSuite(RefSerializer.Fault... faults) {
            this.faults = faults.length == 0 ? EnumSet.noneOf(RefSerializer.Fault.class) : EnumSet.of(faults[0], faults);
        }

        @Override
        protected Serializer createSerializer() {
            return new RefSerializer(faults);
        }
    }

    // ---------------------------------------------------------------------------------- reference

    static class ReferenceBroker extends RefBrokerSuite {
    }

    static class ReferenceBackend extends RefBackendSuite {
    }

    static class ReferenceSerializer extends RefSerializerSuite {
    }

    // ------------------------------------------------------------------------------ broken brokers

    static class LosesOnClose extends RefBrokerSuite {
        LosesOnClose() {
            super(RefBroker.Fault.LOSES_ON_CLOSE);
        }
    }

    static class IgnoresRequeue extends RefBrokerSuite {
        IgnoresRequeue() {
            super(RefBroker.Fault.IGNORES_REQUEUE);
        }
    }

    static class NoRedeliveredFlag extends RefBrokerSuite {
        NoRedeliveredFlag() {
            super(RefBroker.Fault.NO_REDELIVERED_FLAG);
        }
    }

    static class Reorders extends RefBrokerSuite {
        Reorders() {
            super(RefBroker.Fault.REORDERS);
        }
    }

    static class DoubleDelivers extends RefBrokerSuite {
        DoubleDelivers() {
            super(RefBroker.Fault.DOUBLE_DELIVERS);
        }
    }

    static class IgnoresPrefetch extends RefBrokerSuite {
        IgnoresPrefetch() {
            super(RefBroker.Fault.IGNORES_PREFETCH);
        }
    }

    static class PurgeMiscounts extends RefBrokerSuite {
        PurgeMiscounts() {
            super(RefBroker.Fault.PURGE_MISCOUNTS);
        }
    }

    static class LosesOnCrash extends RefBrokerSuite {
        LosesOnCrash() {
            super(RefBroker.Fault.LOSES_ON_CRASH);
        }
    }

    static class NotDurable extends RefBrokerSuite {
        NotDurable() {
            super(RefBroker.Fault.NOT_DURABLE);
        }
    }

    static class DeliversDelayedEarly extends RefBrokerSuite {
        DeliversDelayedEarly() {
            super(RefBroker.Fault.DELIVERS_DELAYED_EARLY);
        }
    }

    static class DropsHeaders extends RefBrokerSuite {
        DropsHeaders() {
            super(RefBroker.Fault.DROPS_HEADERS);
        }
    }

    // ----------------------------------------------------------------------------- broken backends

    static class NonAtomicChord extends RefBackendSuite {
        NonAtomicChord() {
            super(RefResultBackend.Fault.NON_ATOMIC_CHORD);
        }
    }

    static class OverwritesSuccess extends RefBackendSuite {
        OverwritesSuccess() {
            super(RefResultBackend.Fault.OVERWRITES_SUCCESS);
        }
    }

    static class NeverWakes extends RefBackendSuite {
        NeverWakes() {
            super(RefResultBackend.Fault.NEVER_WAKES);
        }

        @Override
        protected Duration timeout() {
            return Duration.ofMillis(500);
        }
    }

    static class ForgetIsANoop extends RefBackendSuite {
        ForgetIsANoop() {
            super(RefResultBackend.Fault.FORGET_IS_A_NOOP);
        }
    }

    static class DropsTraceback extends RefBackendSuite {
        DropsTraceback() {
            super(RefResultBackend.Fault.DROPS_TRACEBACK);
        }
    }

    static class WakesOnUnready extends RefBackendSuite {
        WakesOnUnready() {
            super(RefResultBackend.Fault.WAKES_ON_UNREADY);
        }
    }

    // -------------------------------------------------------------------------- broken serializers

    static class FloatPrecision extends RefSerializerSuite {
        FloatPrecision() {
            super(RefSerializer.Fault.FLOAT_PRECISION);
        }
    }

    static class InstantiatesClasses extends RefSerializerSuite {
        InstantiatesClasses() {
            super(RefSerializer.Fault.INSTANTIATES_CLASSES);
        }
    }

    static class WrongException extends RefSerializerSuite {
        WrongException() {
            super(RefSerializer.Fault.WRONG_EXCEPTION);
        }
    }

    static class LosesKeyOrder extends RefSerializerSuite {
        LosesKeyOrder() {
            super(RefSerializer.Fault.LOSES_KEY_ORDER);
        }
    }
}
