// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real agent processes from the runnable jar (system property {@code grapevine.agent.jar}, set by
 * failsafe), on loopback ports below 32768, and the real command line against them. {@link #close}
 * ends every process it started, by its handle.
 */
final class AgentHarness implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final Path jar;
  final Path work;
  private final List<Process> started = new ArrayList<>();

  /** A running agent: its process and addresses. */
  record Agent(String name, Process process, int gossipPort, int httpPort, Path log) {
    String gossip() {
      return "127.0.0.1:" + gossipPort;
    }

    String http() {
      return "127.0.0.1:" + httpPort;
    }
  }

  /** Output of a finished command. */
  record Run(int exit, String out, String err) {
    JsonNode json() throws IOException {
      return JSON.readTree(out);
    }
  }

  AgentHarness(String workDirName) throws IOException {
    String path = System.getProperty("grapevine.agent.jar");
    assertThat(path).as("system property grapevine.agent.jar (set by failsafe)").isNotNull();
    jar = Path.of(path);
    assertThat(jar).exists();
    work = Files.createDirectories(jar.getParent().resolve(workDirName));
  }

  /** Fast probing, so that detection fits a short test. */
  String fastConfig(String name, String... extraLines) throws IOException {
    Path p = work.resolve(name + ".properties");
    Files.writeString(p, "profile=local\nmembership.probe-interval=400ms\nmembership.probe-timeout=150ms\n"
        + "membership.suspicion-max-timeout-mult=3\n" + String.join("\n", extraLines) + "\n");
    return p.toString();
  }

  Agent start(String name, int gossipPort, int httpPort, String... args) throws IOException {
    return start(List.of(), name, gossipPort, httpPort, args);
  }

  /** An agent whose JVM also gets {@code jvmOptions} (e.g. a hosts file instead of DNS). */
  Agent start(List<String> jvmOptions, String name, int gossipPort, int httpPort, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx128m", "-XX:+UseSerialGC"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", jar.toString(),
        "agent", "--name", name, "--bind", "127.0.0.1:" + gossipPort, "--http", "127.0.0.1:" + httpPort));
    cmd.addAll(List.of(args));
    Path log = work.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    return new Agent(name, p, gossipPort, httpPort, log);
  }

  Run cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(work, "cli", ".out");
    Path err = Files.createTempFile(work, "cli", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    started.add(p);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("command finished: " + cmd).isTrue();
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A command that keeps running (monitor, watch): its process and the file its stdout goes to. */
  record Background(Process process, Path out) {
    String output() throws IOException {
      return Files.readString(out);
    }
  }

  Background cliInBackground(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(work, "bg", ".out");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    started.add(p);
    return new Background(p, out);
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
    }
    for (Process p : started) {
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
