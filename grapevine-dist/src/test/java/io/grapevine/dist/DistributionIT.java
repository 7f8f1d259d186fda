// SPDX-License-Identifier: Apache-2.0
package io.grapevine.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An operator's install: the tarball unpacked into a clean directory with the system's tar, and
 * the packaged launcher used for every command — version, three agents (the first from the
 * example configuration, rewritten for loopback), {@code members}, and a graceful leave on
 * SIGTERM, which is how the systemd unit stops an agent. Processes are ended by their handles.
 */
class DistributionIT {
  private static final String VERSION = System.getProperty("grapevine.version");
  private static Path home;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void unpack() throws Exception {
    Path tarball = Path.of(System.getProperty("grapevine.tarball"));
    assertThat(tarball).exists();
    Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "unpacked");
    Process tar = new ProcessBuilder("tar", "xzf", tarball.toString(), "-C", dir.toString())
        .redirectErrorStream(true).start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).isZero();
    home = dir.resolve("grapevine-" + VERSION);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
    }
    for (Process p : started) {
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theTarballHoldsTheLauncherJarConfigUnitAndLicence() throws IOException {
    assertThat(Files.getPosixFilePermissions(home.resolve("bin/grapevine")))
        .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
    assertThat(home.resolve("lib/grapevine.jar")).isRegularFile();
    assertThat(home.resolve("LICENSE")).content().contains("Apache License", "Version 2.0");
    assertThat(home.resolve("NOTICE")).isRegularFile();
    assertThat(home.resolve("config/agent.yaml")).isRegularFile();
    assertThat(home.resolve("systemd/grapevine.service")).content()
        .contains("ExecStart=/opt/grapevine/bin/grapevine agent --config /etc/grapevine/agent.yaml")
        .contains("KillSignal=SIGTERM");
  }

  @Test
  void theLauncherPrintsTheVersion() throws Exception {
    Run r = run(List.of(launcher(), "--version"));
    assertThat(r.exit).as(r.out).isZero();
    assertThat(r.out).contains(VERSION);
  }

  @Test
  void threeAgentsFromThePackagedLauncherFormAClusterAndOneLeavesOnSigterm() throws Exception {
    int[] ports = freePorts(6);
    // The example configuration, with loopback addresses and no data directory: it must parse.
    String example = Files.readString(home.resolve("config/agent.yaml"));
    Path config = home.resolve("config/test-agent.yaml");
    Files.writeString(config, example
        .replace("name: node-1", "name: n1")
        .replace("bind: 0.0.0.0:7946", "bind: 127.0.0.1:" + ports[0])
        .replace("http: 127.0.0.1:8946", "http: 127.0.0.1:" + ports[1])
        .replace("  - 10.0.0.10:7946\n", "")
        .replace("join:\n", "")
        .replace("data-dir: /var/lib/grapevine\n", ""));
    Process first = start("n1", List.of("--config", config.toString()));
    String seed = "127.0.0.1:" + ports[0];
    start("n2", List.of("--name", "n2", "--bind", "127.0.0.1:" + ports[2], "--http", "127.0.0.1:" + ports[3],
        "--join", seed));
    Process third = start("n3", List.of("--name", "n3", "--bind", "127.0.0.1:" + ports[4], "--http",
        "127.0.0.1:" + ports[5], "--join", seed));
    String http1 = "127.0.0.1:" + ports[1];
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      Run m = run(List.of(launcher(), "members", "--http", http1));
      assertThat(m.out).contains("n1", "n2", "n3");
      assertThat(m.out.split("alive", -1)).hasSize(4);
    });
    assertThat(first.isAlive()).isTrue();

    third.destroy(); // SIGTERM, as systemd stops the unit
    assertThat(third.waitFor(30, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      Run m = run(List.of(launcher(), "members", "--http", http1));
      assertThat(m.out).containsPattern("n3\\s.*left");
    });
  }

  private String launcher() {
    return home.resolve("bin/grapevine").toString();
  }

  private Process start(String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(launcher(), "agent"));
    cmd.addAll(args);
    Path log = home.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    return p;
  }

  record Run(int exit, String out) {}

  private static Run run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Run(-1, "timed out");
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Ports free for TCP and UDP on loopback, below Linux's ephemeral range. */
  private static int[] freePorts(int count) throws IOException {
    SplittableRandom random = new SplittableRandom();
    int[] ports = new int[count];
    int found = 0;
    int candidate = 20_000 + random.nextInt(10_000);
    InetAddress loopback = InetAddress.getLoopbackAddress();
    for (int tries = 0; found < count && tries < 2000; tries++, candidate++) {
      try (ServerSocket tcp = new ServerSocket();
          DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, candidate))) {
        tcp.bind(new InetSocketAddress(loopback, candidate));
        ports[found++] = candidate;
      } catch (IOException busy) {
        // taken: try the next one
      }
    }
    if (found < count) {
      throw new IOException("no " + count + " free ports found below 32768");
    }
    return ports;
  }
}
