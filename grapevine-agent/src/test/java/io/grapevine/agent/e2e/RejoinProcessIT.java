// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grapevine.agent.MemberSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshot and rejoin with real agent processes on loopback: an agent restarted without --join
 * finds its cluster again through the members it remembered, and a cluster whose every agent went
 * down re-forms when they come back. Every process is killed by its handle in {@link #cleanup()}.
 */
class RejoinProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path jar;
  private static Path work;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** One agent's fixed identity: name, ports and data directory survive its restarts. */
  record Node(String name, int gossipPort, int httpPort, Path dataDir) {
    String gossip() {
      return "127.0.0.1:" + gossipPort;
    }
  }

  @BeforeAll
  static void locateJar() throws IOException {
    String path = System.getProperty("grapevine.agent.jar");
    assertThat(path).as("system property grapevine.agent.jar (set by failsafe)").isNotNull();
    jar = Path.of(path);
    work = Files.createDirectories(jar.getParent().resolve("e2e-rejoin"));
  }

  @AfterEach
  void cleanup() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
    }
    for (Process p : started) {
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void agentRestartedWithoutJoinRejoinsAndForgetsAMemberThatLeft() throws Exception {
    List<Node> nodes = nodes("rj", 3);
    Node a = nodes.get(0);
    Node b = nodes.get(1);
    Node c = nodes.get(2);
    Process pa = start(a);
    Process pb = start(b, "--join", a.gossip());
    start(c, "--join", a.gossip());
    awaitAllAlive(nodes, nodes);
    awaitSnapshot(b, Map.of("rj-0", true, "rj-2", true));

    pb.destroyForcibly();
    assertThat(pb.waitFor(10, TimeUnit.SECONDS)).isTrue();
    // Back without --join: only its snapshot tells it where the cluster is.
    int before = Files.readString(log(b)).length();
    start(b);
    awaitAllAlive(nodes, nodes);
    // Through the snapshot, not through the others' periodic reconnect to the dead (every 30 s).
    assertThat(Files.readString(log(b)).substring(before)).contains("rejoining through 2 of the 2 members remembered")
        .containsPattern("rj-1: joined through 127\\.0\\.0\\.1:(" + a.gossipPort() + "|" + c.gossipPort() + ")");

    // A graceful leave: the others drop it from their snapshots, so nobody rejoins through it.
    pa.destroy();
    assertThat(pa.waitFor(30, TimeUnit.SECONDS)).isTrue();
    awaitSnapshot(c, Map.of("rj-1", true));
    awaitSnapshot(b, Map.of("rj-2", true));
  }

  @Test
  void wholeClusterOfFiveReFormsAfterEveryAgentWentDown() throws Exception {
    List<Node> nodes = nodes("wc", 5);
    List<Process> procs = new ArrayList<>();
    procs.add(start(nodes.get(0)));
    for (Node n : nodes.subList(1, 5)) {
      procs.add(start(n, "--join", nodes.get(0).gossip()));
    }
    awaitAllAlive(nodes, nodes);
    for (Node n : nodes) {
      awaitSnapshotSize(n, 4);
    }

    // Two go down first and are declared dead by the rest: the last three remember them as failed.
    for (int i = 0; i < 2; i++) {
      procs.get(i).destroyForcibly();
      assertThat(procs.get(i).waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
    List<Node> survivors = nodes.subList(2, 5);
    await("wc-0 and wc-1 dead on the rest").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().untilAsserted(() -> {
          for (Node n : survivors) {
            assertThat(states(n)).containsEntry("wc-0", "dead").containsEntry("wc-1", "dead");
          }
        });
    for (Node n : survivors) {
      Map<String, Boolean> expected = new HashMap<>(Map.of("wc-0", false, "wc-1", false));
      survivors.stream().filter(o -> o != n).forEach(o -> expected.put(o.name(), true));
      awaitSnapshot(n, expected);
    }
    // Then the rest: the whole cluster is down.
    for (int i = 2; i < 5; i++) {
      procs.get(i).destroyForcibly();
      assertThat(procs.get(i).waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    // Everyone back, nobody given --join, last-down first.
    for (int i = 4; i >= 0; i--) {
      start(nodes.get(i));
    }
    awaitAllAlive(nodes, nodes);
  }

  // ------------------------------------------------------------------ helpers

  private List<Node> nodes(String prefix, int count) throws IOException {
    int[] ports = AgentProcessIT.freePorts(2 * count);
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path data = work.resolve(prefix + "-" + i + "-data");
      deleteTree(data);
      Node n = new Node(prefix + "-" + i, ports[2 * i], ports[2 * i + 1], data);
      // Appended to across restarts within a test; a log of an earlier run must not count.
      Files.deleteIfExists(log(n));
      out.add(n);
    }
    return out;
  }

  private Process start(Node n, String... extra) throws IOException {
    Path config = work.resolve(n.name() + ".properties");
    Files.writeString(config, "profile=local\nmembership.probe-interval=400ms\nmembership.probe-timeout=150ms\n"
        + "membership.suspicion-max-timeout-mult=3\n");
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx128m", "-XX:+UseSerialGC", "-jar", jar.toString(),
        "agent", "--name", n.name(), "--bind", n.gossip(), "--http", "127.0.0.1:" + n.httpPort(),
        "--data-dir", n.dataDir().toString(), "--config", config.toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(n).toFile())).start();
    started.add(p);
    return p;
  }

  private static Path log(Node n) {
    return work.resolve(n.name() + ".log");
  }

  private void awaitAllAlive(List<Node> observers, List<Node> members) {
    Map<String, String> expected = members.stream().collect(Collectors.toMap(Node::name, x -> "alive"));
    await("all alive everywhere").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().untilAsserted(() -> {
          for (Node o : observers) {
            assertThat(states(o)).as(o.name()).isEqualTo(expected);
          }
        });
  }

  /** Waits until {@code n}'s snapshot file holds exactly these members, alive (true) or failed. */
  private void awaitSnapshot(Node n, Map<String, Boolean> expected) {
    await(n.name() + " snapshot").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> assertThat(snapshot(n)).isEqualTo(expected));
  }

  private void awaitSnapshotSize(Node n, int size) {
    await(n.name() + " snapshot").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> assertThat(snapshot(n)).hasSize(size).doesNotContainValue(false));
  }

  private static Map<String, Boolean> snapshot(Node n) throws IOException {
    MemberSnapshot s = MemberSnapshot.decode(Files.readString(n.dataDir().resolve("members.snapshot")));
    Map<String, Boolean> out = new HashMap<>();
    s.entries().forEach(e -> out.put(e.name(), e.alive()));
    return out;
  }

  private Map<String, String> states(Node n) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.httpPort() + "/v1/members"))
        .timeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertThat(resp.statusCode()).isEqualTo(200);
    Map<String, String> states = new HashMap<>();
    JSON.readTree(resp.body()).get("members").forEach(m -> states.put(m.get("name").asText(), m.get("state").asText()));
    return states;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
