// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Run;
import io.grapevine.security.Keys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live key rotation on five real agents with the real command line: install, use, remove while user
 * events flow; nobody is suspected, every event arrives everywhere, every keyring file follows, and a
 * restarted agent comes back with the new key.
 */
class KeyRotationIT {
  private static final String TOKEN = "keys-e2e-token";
  private static final int N = 5;
  /** Most events the background publisher sends, however long the rotation takes. */
  private static final int MAX_EVENTS = 400;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private AgentHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new AgentHarness("e2e-keys");
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  /**
   * Probe timing with room for five JVMs and the CLI's on a busy machine: a suspicion here would be
   * the keyring's doing, not the scheduler's.
   */
  private String config(String name, String... extra) throws Exception {
    Path p = h.work.resolve(name + ".properties");
    Files.writeString(p, "profile=local\nmembership.probe-interval=1s\nmembership.probe-timeout=500ms\n"
        + String.join("\n", extra) + "\n");
    return p.toString();
  }

  private HttpResponse<String> send(Agent a, String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + a.http() + path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private String token(Agent a) {
    return a.name().equals("k0") ? TOKEN : null;
  }

  private Map<String, String> states(Agent a) throws Exception {
    HttpResponse<String> r = send(a, "GET", "/v1/members", null, token(a));
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, String> states = new HashMap<>();
    AgentHarness.JSON.readTree(r.body()).get("members")
        .forEach(m -> states.put(m.get("name").asText(), m.get("state").asText()));
    return states;
  }

  private double metric(Agent a, String name) throws Exception {
    String text = send(a, "GET", "/metrics", null, token(a)).body();
    return text.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(
        l -> Double.parseDouble(l.substring(name.length() + 1).strip())).findFirst().orElse(-1);
  }

  /** Runs a CLI command against {@code a}, with its token if it has one. */
  private Run keys(Agent a, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("keys"));
    all.addAll(List.of(args));
    all.addAll(List.of("--http", a.http()));
    if (token(a) != null) {
      all.addAll(List.of("--token", TOKEN));
    }
    return h.cli(all.toArray(String[]::new));
  }

  @Test
  void liveRotationWhileEventsFlowThenARestartKeepsTheNewKey() throws Exception {
    int[] p = AgentProcessIT.freePorts(2 * N);
    String oldKey = h.cli("keygen").out().strip();
    String newKey = h.cli("keygen").out().strip();
    String oldFp = Keys.fingerprint(Keys.decode(oldKey));
    String newFp = Keys.fingerprint(Keys.decode(newKey));
    List<Agent> agents = new ArrayList<>();
    List<Path> dataDirs = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      String name = "k" + i;
      Path dir = Files.createTempDirectory(h.work, name);
      dataDirs.add(dir);
      List<String> args = new ArrayList<>(List.of("--encrypt", oldKey, "--data-dir", dir.toString(), "--config",
          i == 0 ? config(name, "http-token=" + TOKEN) : config(name)));
      if (i > 0) {
        args.addAll(List.of("--join", agents.get(0).gossip()));
      }
      agents.add(h.start(name, p[2 * i], p[2 * i + 1], args.toArray(String[]::new)));
    }
    await("five encrypted agents alive everywhere").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300))
        .ignoreExceptions().untilAsserted(() -> {
          for (Agent a : agents) {
            assertThat(states(a).values()).hasSize(N).containsOnly("alive");
          }
        });

    // The token guards k0's keyring too.
    Run noToken = h.cli("keys", "--http", agents.get(0).http());
    assertThat(noToken.exit()).isEqualTo(1);
    assertThat(noToken.err()).contains("missing or wrong bearer token");
    Run before = keys(agents.get(0), "list");
    assertThat(before.exit()).as(before.err()).isZero();
    assertThat(before.out()).contains("list: 5 of 5 nodes answered").containsPattern(oldFp + " +256 +5 +5")
        .doesNotContain(oldKey);

    // Events flow from every agent in turn during the whole rotation.
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger published = new AtomicInteger();
    AtomicInteger publishFailures = new AtomicInteger();
    Thread publisher = new Thread(() -> {
      long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      for (int i = 0; i < MAX_EVENTS && !stop.get() && System.nanoTime() < end; i++) {
        Agent a = agents.get(i % N);
        try {
          HttpResponse<String> r = send(a, "POST", "/v1/events/rotation", "event " + i, token(a));
          if (r.statusCode() / 100 == 2) {
            published.incrementAndGet();
          } else {
            publishFailures.incrementAndGet();
          }
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          publishFailures.incrementAndGet();
        }
      }
    }, "event-publisher");
    publisher.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> published.get() >= 10);

      Run install = keys(agents.get(0), "install", newKey);
      assertThat(install.exit()).as(install.err()).isZero();
      assertThat(install.out()).contains("install " + newFp + ": 5 of 5 nodes answered")
          .containsPattern(oldFp + " +256 +5 +5").containsPattern(newFp + " +256 +5 +0");
      Run use = keys(agents.get(2), "use", newKey);
      assertThat(use.exit()).as(use.err()).isZero();
      assertThat(use.out()).containsPattern(newFp + " +256 +5 +5").containsPattern(oldFp + " +256 +5 +0");

      // Usage errors: one line, exit 2, nothing sent.
      Run bad = keys(agents.get(1), "install", "not-a-key");
      assertThat(bad.exit()).isEqualTo(2);
      assertThat(bad.err().strip()).startsWith("error: encryption key is not valid base64").doesNotContain("\n");
      Run primary = keys(agents.get(1), "remove", newKey);
      assertThat(primary.exit()).isEqualTo(2);
      assertThat(primary.err()).contains("error: key " + newFp + " is the primary key of node k1 and cannot be removed");

      Run remove = keys(agents.get(4), "remove", oldKey);
      assertThat(remove.exit()).as(remove.err()).isZero();
      assertThat(remove.out()).contains("remove " + oldFp + ": 5 of 5 nodes answered")
          .containsPattern(newFp + " +256 +5 +5").doesNotContain(oldFp + " ");
      // Events keep flowing under the new key alone for a while.
      int afterRotation = published.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> published.get() >= afterRotation + 20);
    } finally {
      stop.set(true);
      publisher.join(15_000);
    }
    assertThat(publishFailures.get()).isZero();
    int total = published.get();
    assertThat(total).isGreaterThanOrEqualTo(30);

    // Every event on every agent (the publisher included), each once.
    await("every event delivered everywhere").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          for (Agent a : agents) {
            assertThat(metric(a, "grapevine_events_delivered_total")).as(a.name()).isEqualTo(total);
          }
        });
    // Nobody was ever suspected, declared dead or had to refute.
    for (Agent a : agents) {
      assertThat(metric(a, "grapevine_suspicions_raised_total")).as(a.name()).isZero();
      assertThat(metric(a, "grapevine_deaths_declared_total")).as(a.name()).isZero();
      assertThat(metric(a, "grapevine_self_refutations_total")).as(a.name()).isZero();
      assertThat(metric(a, "grapevine_packets_dropped_total{reason=\"bad_seal\"}")).as(a.name()).isIn(0.0, -1.0);
      assertThat(states(a).values()).hasSize(N).containsOnly("alive");
    }
    // Every keyring file holds the new key only.
    for (Path dir : dataDirs) {
      assertThat(Files.readString(dir.resolve("keyring"))).contains(newKey).doesNotContain(oldKey);
    }
    JsonNode listed = AgentHarness.JSON.readTree(send(agents.get(3), "GET", "/v1/keys?showKeys=true", null, null).body());
    assertThat(listed.path("complete").asBoolean()).isTrue();
    assertThat(listed.path("keys")).hasSize(1);
    assertThat(listed.path("keys").get(0).path("key").asText()).isEqualTo(newKey);

    // k4 restarted from its data directory, with the old key on the command line: the file's new key
    // wins, and it rejoins.
    Agent k4 = agents.get(N - 1);
    k4.process().destroyForcibly();
    assertThat(k4.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    Agent again = h.start("k4", k4.gossipPort(), k4.httpPort(), "--encrypt", oldKey, "--data-dir",
        dataDirs.get(N - 1).toString(), "--config", config("k4"), "--join", agents.get(1).gossip());
    agents.set(N - 1, again);
    await("restarted k4 rejoins with the new key").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300))
        .ignoreExceptions().untilAsserted(() -> {
          for (Agent a : agents) {
            assertThat(states(a).values()).as(a.name()).hasSize(N).containsOnly("alive");
          }
        });
    assertThat(Files.readString(again.log())).contains("primary " + newFp);
    Run after = keys(again, "list");
    assertThat(after.exit()).as(after.err()).isZero();
    assertThat(after.out()).contains("5 of 5 nodes answered").containsPattern(newFp + " +256 +5 +5");
  }
}
