package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@code deploy/test/*.sh}: each starts, checks and stops workers or beat the way its systemd unit or
 * supervisor section does, on a private embedded database. They run {@code celeriac} through a wrapper around
 * this test's class path (not the launcher, which would build again inside the build).
 */
class DeployScriptsTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    static Path dir;

    private static Path wrapper() throws Exception {
        Path bin = dir.resolve("celeriac");
        if (!Files.exists(bin)) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Files.writeString(bin, "#!/bin/sh\n# celeriac on the test class path\nexec '" + java
                    + "' ${CELERIAC_JAVA_OPTS:-} -cp '" + System.getProperty("java.class.path") + "' "
                    + Main.class.getName() + " \"$@\"\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }

    @ParameterizedTest
    @ValueSource(strings = {"systemd-worker.sh", "systemd-beat.sh", "supervisor.sh"})
    void the_deploy_script_passes(String script) throws Exception {
        Path path = REPO.resolve("deploy/test").resolve(script);
        assertThat(path).exists();
        Path out = dir.resolve(script + ".out");
        ProcessBuilder pb = new ProcessBuilder(List.of("bash", path.toString())).directory(REPO.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("CELERIAC_TEST_BIN", wrapper().toString());
        pb.environment().put("TMPDIR", dir.toString());
        Process p = pb.start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String log = Files.readString(out, StandardCharsets.UTF_8);
        System.err.println(log);
        assertThat(done).as("finished within 300 s").isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(log).contains("PASS");
    }
}
