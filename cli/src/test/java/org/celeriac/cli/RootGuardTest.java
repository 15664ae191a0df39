package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.Test;

/** Celery's root guard: a root worker with an unsafe deserializer refuses to start unless C_FORCE_ROOT=1. */
class RootGuardTest {

    private static Celeriac app(boolean registrationRequired) {
        return Celeriac.builder().set("broker_url", "memory://root-guard").set("result_backend", "memory://root-guard")
                .set("kryo_registration_required", registrationRequired).build();
    }

    @Test
    void rootWithKryoRegistrationOffIsRefusedUnlessForced() {
        try (Celeriac unsafe = app(false)) {
            assertThat(WorkerCommand.rootGuard(unsafe, true, null)).isEqualTo(Main.CONFIG);
            assertThat(WorkerCommand.rootGuard(unsafe, true, "1")).isNull();
            assertThat(WorkerCommand.rootGuard(unsafe, false, null)).isNull();
        }
    }

    @Test
    void rootWithSafeSettingsOnlyWarns() {
        try (Celeriac safe = app(true)) {
            assertThat(WorkerCommand.rootGuard(safe, true, null)).isNull();
        }
    }
}
