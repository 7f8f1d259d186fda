// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end: real agent processes from the runnable jar, on loopback, driven by the real command
 * line. Every process is killed by its handle in {@link #cleanup()}. The bounds are generous
 * because a busy 2-core machine can take seconds just to start a JVM; they only cap a failure.
 */
class AgentProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "e2e-secret-token";
  private static Path jar;
  private static Path work;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

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
  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void locateJar() throws IOException {
    String path = System.getProperty("grapevine.agent.jar");
    assertThat(path).as("system property grapevine.agent.jar (set by failsafe)").isNotNull();
    jar = Path.of(path);
    assertThat(jar).exists();
    work = Files.createDirectories(jar.getParent().resolve("e2e"));
  }

  @AfterEach
  void cleanup() {
    for (Process p : started) {
      p.destroyForcibly();
    }
    for (Process p : started) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void threeAgentsJoinThenOneCrashesAndOneLeaves() throws Exception {
    int[] ports = freePorts(6);
    // The first agent reads everything from a YAML file, including a bearer token for its API and
    // faster probing (as every agent here) so detection fits a short test.
    Path config = work.resolve("node-a.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "name: node-a",
            "bind: 127.0.0.1:" + ports[0],
            "http: 127.0.0.1:" + ports[1],
            "http-token: " + TOKEN,
            "profile: local",
            "meta:",
            "  role: seed",
            "membership:",
            "  probe-interval: 400ms",
            "  probe-timeout: 150ms",
            "  suspicion-max-timeout-mult: 3",
            ""));
    Agent a = startAgent("node-a", ports[0], ports[1], "--config", config.toString());
    Agent b = startAgent("node-b", ports[2], ports[3], "--join", a.gossip(), "--meta", "role=web",
        "--config", fastConfig("node-b"));
    Agent c = startAgent("node-c", ports[4], ports[5], "--join", a.gossip(), "--config", fastConfig("node-c"));

    await("three alive everywhere").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> {
          for (Agent x : List.of(a, b, c)) {
            assertThat(states(x)).containsOnly(
                Map.entry("node-a", "alive"), Map.entry("node-b", "alive"), Map.entry("node-c", "alive"));
          }
        });

    // The command line sees the same, as JSON and as a table.
    Run json = cli("members", "--json", "--http", a.http(), "--token", TOKEN);
    assertThat(json.exit()).as(json.err()).isZero();
    JsonNode members = JSON.readTree(json.out()).get("members");
    assertThat(members).hasSize(3);
    for (JsonNode m : members) {
      assertThat(m.get("state").asText()).isEqualTo("alive");
    }
    assertThat(members.get(0).get("metadata").get("role").asText()).isEqualTo("seed");
    Run table = cli("members", "--http", b.http());
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out().lines().toList())
        .hasSize(4)
        .first().asString().matches("NAME +ADDRESS +STATE +INCARNATION +TAGS");
    assertThat(table.out()).contains("role=web").contains(a.gossip());

    // The token guards node-a's API; health and metrics answer with it.
    assertThat(get(a, "/v1/members", null).statusCode()).isEqualTo(401);
    assertThat(get(a, "/v1/health", TOKEN).statusCode()).isEqualTo(200);
    assertThat(get(a, "/metrics", TOKEN).body()).contains("grapevine_members{state=\"alive\"} 3.0");

    // SIGKILL: no goodbye, so the others must detect it and declare it dead.
    c.process().destroyForcibly();
    await("node-c dead on a and b").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> {
          assertThat(states(a)).containsEntry("node-c", "dead");
          assertThat(states(b)).containsEntry("node-c", "dead");
        });

    // SIGTERM: the shutdown hook leaves gracefully, so it shows as left, not dead.
    b.process().destroy();
    assertThat(b.process().waitFor(60, TimeUnit.SECONDS)).as("node-b exits after SIGTERM").isTrue();
    assertThat(Files.readString(b.log())).contains("left the cluster");
    await("node-b left on a").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> assertThat(states(a)).containsEntry("node-b", "left"));

    Run after = cli("members", "--json", "--http", a.http(), "--token", TOKEN);
    Map<String, String> byName = new HashMap<>();
    JSON.readTree(after.out()).get("members").forEach(m -> byName.put(m.get("name").asText(), m.get("state").asText()));
    assertThat(byName).containsEntry("node-a", "alive").containsEntry("node-b", "left").containsEntry("node-c", "dead");

    // An operator removes the dead node for good.
    Run forced = cli("force-leave", "node-c", "--http", a.http(), "--token", TOKEN);
    assertThat(forced.exit()).as(forced.err()).isZero();
    assertThat(forced.out()).contains("removed node-c");
    assertThat(states(a).get("node-c")).isNotEqualTo("dead");

    Run alive = cli("force-leave", "node-a", "--http", a.http(), "--token", TOKEN);
    assertThat(alive.exit()).isEqualTo(1);
    assertThat(alive.err().strip()).startsWith("error: ").doesNotContain("\n");
  }

  @Test
  void agentStartedBeforeItsSeedRetriesUntilItJoins() throws Exception {
    int[] ports = freePorts(4);
    Path quick = work.resolve("quick-join.yaml");
    Files.writeString(quick, "profile: local\njoin-timeout: 1s\n");
    Agent late = startAgent("late", ports[0], ports[1], "--join", "127.0.0.1:" + ports[2], "--config", quick.toString());
    // Not joined yet: health says so with 503, the API answers all the same.
    await("late answers, unjoined").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(get(late, "/v1/health", null).statusCode()).isEqualTo(503));
    // The seed starts only after a join attempt has failed: on a quiet machine a seed started at once
    // could be up before the first attempt gives up, and the retry would never be exercised.
    await("late's first join attempt failed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertThat(Files.readString(late.log())).contains("retrying in"));
    Agent seed = startAgent("seed", ports[2], ports[3], "--profile", "local");
    await("late joined through the retry").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .untilAsserted(() -> {
          assertThat(get(late, "/v1/health", null).statusCode()).isEqualTo(200);
          assertThat(states(seed)).containsEntry("late", "alive").containsEntry("seed", "alive");
        });

    // `grapevine leave` makes the agent leave and exit by itself.
    Run leave = cli("leave", "--http", late.http());
    assertThat(leave.exit()).as(leave.err()).isZero();
    assertThat(leave.out()).contains("late left the cluster");
    assertThat(late.process().waitFor(60, TimeUnit.SECONDS)).as("late exits after leave").isTrue();
    assertThat(late.process().exitValue()).isZero();
    await("late left on seed").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(states(seed)).containsEntry("late", "left"));
  }

  @Test
  void badFlagGivesOneLineAndUsageExit() throws Exception {
    Run r = cli("agent", "--name", "x", "--bogus");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().toList()).hasSize(1)
        .first().asString().startsWith("error: ").contains("--bogus").contains("--help");

    Run badBind = cli("agent", "--name", "x", "--bind", "localhost");
    assertThat(badBind.exit()).isEqualTo(2);
    assertThat(badBind.err().lines().toList()).containsExactly(
        "error: --bind: expected HOST:PORT, got 'localhost'");
  }

  @Test
  void badConfigFileGivesOneLinePerBadSetting() throws Exception {
    Path bad = work.resolve("bad.yaml");
    Files.writeString(bad, "name: x\nbind: 127.0.0.1:99999\n");
    Run r = cli("agent", "--config", bad.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().lines().toList()).containsExactly(
        "error: " + bad + ":2: bind: port must be 0..65535 in '127.0.0.1:99999'");

    Path badKnob = work.resolve("bad-knob.yaml");
    Files.writeString(badKnob, "name: x\nkv:\n  sync-interval: soon\n");
    Run k = cli("agent", "--config", badKnob.toString());
    assertThat(k.exit()).isEqualTo(2);
    assertThat(k.err().lines().toList()).containsExactly(
        "error: " + badKnob + ":3: kv.syncInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'");

    Path unknown = work.resolve("unknown.properties");
    Files.writeString(unknown, "name=x\nprobe-interval=1s\n");
    Run u = cli("agent", "--config", unknown.toString());
    assertThat(u.exit()).isEqualTo(2);
    assertThat(u.err().lines().toList()).hasSize(1)
        .first().asString().contains("unknown setting 'probe-interval'");

    Path broken = work.resolve("broken.yaml");
    Files.writeString(broken, "name: [unclosed\n");
    Run b = cli("agent", "--config", broken.toString());
    assertThat(b.exit()).isEqualTo(2);
    assertThat(b.err().lines().toList()).hasSize(1).first().asString().contains("not valid YAML");
  }

  @Test
  void commandWithoutAnAgentSaysSoInOneLine() throws Exception {
    int port = freePorts(1)[0];
    Run r = cli("members", "--http", "127.0.0.1:" + port);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().lines().toList()).hasSize(1).first().asString().contains("cannot reach an agent");
  }

  @Test
  void eventsKvAndAggregatesAcrossThreeAgents() throws Exception {
    int[] ports = freePorts(6);
    Path dataDir = Files.createTempDirectory(work, "data-a");
    Agent a = startAgent("data-a", ports[0], ports[1], "--config", fastConfig("data-a"), "--data-dir", dataDir.toString());
    Agent b = startAgent("data-b", ports[2], ports[3], "--join", a.gossip(), "--config", fastConfig("data-b"));
    Agent c = startAgent("data-c", ports[4], ports[5], "--join", a.gossip(), "--config", fastConfig("data-c"));
    List<Agent> all = List.of(a, b, c);
    await("three alive everywhere").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> {
          for (Agent x : all) {
            assertThat(states(x).values()).containsOnly("alive").hasSize(3);
          }
        });

    // Every agent publishes a load, so aggregation has something to average while the rest runs.
    double[] loads = {0.2, 0.4, 0.9};
    for (int i = 0; i < 3; i++) {
      assertThat(send(all.get(i), "PUT", "/v1/aggregates/load", String.valueOf(loads[i])).statusCode()).isEqualTo(200);
    }

    // An event sent on a (by the command line) shows up in `event watch` on b.
    Path watchOut = work.resolve("watch.out");
    Path watchErr = work.resolve("watch.err");
    Process watcher = startCli(watchOut, watchErr, "event", "watch", "deploy", "--http", b.http());
    await("watch connected").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(watchErr).contains("watching topic deploy"));
    Run sent = cli("event", "send", "deploy", "v42 rolled out", "--http", a.http());
    assertThat(sent.exit()).as(sent.err()).isZero();
    assertThat(sent.out().trim()).startsWith("data-a/");
    await("event seen on b").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(watchOut).contains("v42 rolled out"));
    assertThat(Files.readString(watchOut).lines().toList()).singleElement().asString()
        .isEqualTo("deploy " + sent.out().trim() + " v42 rolled out");
    watcher.destroyForcibly();

    // A write on a (stored in its data dir) is read on c; an absent key exits 1.
    Run put = cli("kv", "put", "flags", "dark mode", "on", "--http", a.http());
    assertThat(put.exit()).as(put.err()).isZero();
    await("value replicated to c").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> get(c, "/v1/kv/flags/dark%20mode", null).statusCode() == 200);
    Run got = cli("kv", "get", "flags", "dark mode", "--http", c.http());
    assertThat(got.exit()).as(got.err()).isZero();
    assertThat(got.out()).isEqualTo("on\n");
    Run missing = cli("kv", "get", "flags", "nothing", "--http", c.http());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out()).isEmpty();
    assertThat(missing.err()).contains("no value for key 'nothing'");
    try (var files = Files.list(dataDir)) {
      assertThat(files.count()).as("the store wrote into --data-dir").isPositive();
    }

    // Aggregates: every agent's COUNT and AVG approach 3 and 0.5.
    await("aggregates converge").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .untilAsserted(() -> {
          for (Agent x : all) {
            JsonNode e = JSON.readTree(get(x, "/v1/aggregates/load", null).body());
            assertThat(e.get("count").asDouble()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(0.05));
            assertThat(e.get("avg").asDouble()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
          }
        });
    Run show = cli("aggregate", "show", "--http", b.http());
    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.out().lines().toList().get(0)).matches("NAME +AVG +SUM +COUNT +MIN +MAX +EPOCH +ROUNDS +ERROR");
    assertThat(show.out()).containsPattern("load +0\\.\\d+ +1\\.\\d+ +[23](\\.\\d+)? +0\\.2\\d* +0\\.9\\d*")
        .contains("estimated cluster size:");
    Run json = cli("aggregate", "show", "load", "--json", "--http", c.http());
    assertThat(json.exit()).as(json.err()).isZero();
    assertThat(JSON.readTree(json.out()).get("max").asDouble()).isEqualTo(0.9);
    assertThat(get(a, "/metrics", null).body()).contains("grapevine_cluster_size_estimate")
        .contains("grapevine_events_published_total 1.0");
  }

  @Test
  void agentsConfiguredWithHyParViewPlumtreeDeliverUserEvents() throws Exception {
    int[] ports = freePorts(6);
    Path overlayConfig = work.resolve("overlay.properties");
    Files.writeString(overlayConfig, "profile=local\nmembership.probe-interval=400ms\noverlay=hyparview-plumtree\n"
        + "plumtree.max-payload-bytes=1200\n");
    Agent a = startAgent("ov-a", ports[0], ports[1], "--config", overlayConfig.toString());
    Agent b = startAgent("ov-b", ports[2], ports[3], "--join", a.gossip(), "--config", overlayConfig.toString());
    Agent c = startAgent("ov-c", ports[4], ports[5], "--join", a.gossip(), "--overlay", "hyparview-plumtree");
    List<Agent> all = List.of(a, b, c);
    await("three alive everywhere").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> {
          for (Agent x : all) {
            assertThat(states(x).values()).containsOnly("alive").hasSize(3);
          }
        });
    Run sent = cli("event", "send", "deploy", "over the tree", "--http", a.http());
    assertThat(sent.exit()).as(sent.err()).isZero();
    // Delivered on every agent (the sender included), counted once each.
    await("event delivered everywhere").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          for (Agent x : all) {
            assertThat(get(x, "/metrics", null).body()).contains("grapevine_events_delivered_total 1.0");
          }
        });
    assertThat(get(a, "/metrics", null).body()).contains("grapevine_events_published_total 1.0");
    // The setting reached the runtime from the config file (a) and from the flag (c).
    assertThat(Files.readString(a.log())).contains("events over hyparview-plumtree overlay");
    assertThat(Files.readString(c.log())).contains("events over hyparview-plumtree overlay");
    // So did the file's plumtree knob: a takes a payload that c, on the default 1024 bytes, refuses.
    String big = "x".repeat(1100);
    Run bigOnA = cli("event", "send", "big", big, "--http", a.http());
    assertThat(bigOnA.exit()).as(bigOnA.err()).isZero();
    Run bigOnC = cli("event", "send", "big", big, "--http", c.http());
    assertThat(bigOnC.exit()).isNotZero();
    assertThat(bigOnC.err()).contains("plumtree maxPayloadBytes 1024");
  }

  @Test
  void encryptedAgentsRefuseOutsidersAndKeepTheirKeyringAcrossARestart() throws Exception {
    int[] ports = freePorts(8);
    Run keygen = cli("keygen");
    assertThat(keygen.exit()).as(keygen.err()).isZero();
    String key = keygen.out().strip();
    String otherKey = cli("keygen", "--bits", "128").out().strip();
    Path dataDir = Files.createTempDirectory(work, "keyring");
    Agent a = startAgent("enc-a", ports[0], ports[1], "--config", fastConfig("enc-a"), "--encrypt", key,
        "--data-dir", dataDir.toString());
    Agent b = startAgent("enc-b", ports[2], ports[3], "--join", a.gossip(), "--config", fastConfig("enc-b"),
        "--encrypt", key);
    await("two encrypted agents alive").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          assertThat(states(a)).containsOnly(Map.entry("enc-a", "alive"), Map.entry("enc-b", "alive"));
          assertThat(states(b)).containsOnly(Map.entry("enc-a", "alive"), Map.entry("enc-b", "alive"));
        });
    // The keyring is kept in the data directory, readable by its owner only.
    Path ring = dataDir.resolve("keyring");
    assertThat(Files.readString(ring)).contains(key);
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(ring)))
        .isEqualTo("rw-------");

    // One agent with another key, one with none: neither gets in, each log says why in one line.
    Agent wrong = startAgent("enc-wrong", ports[4], ports[5], "--join", a.gossip(), "--config",
        fastConfig("enc-wrong"), "--encrypt", otherKey);
    Agent none = startAgent("enc-none", ports[6], ports[7], "--join", a.gossip(), "--config", fastConfig("enc-none"));
    await("both outsiders told why").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> {
          assertThat(Files.readString(wrong.log())).contains(
              "the cluster refused our packets: encryption key mismatch (none of the keys at " + a.gossip());
          assertThat(Files.readString(none.log())).contains(
              "the cluster refused our packets: encryption key mismatch (" + a.gossip()
                  + " requires encrypted packets and we sent plaintext");
        });
    assertThat(Files.readString(wrong.log()).lines().filter(l -> l.contains("encryption key mismatch")).count())
        .isEqualTo(1);
    String metrics = get(a, "/metrics", null).body();
    assertThat(metricValue(metrics, "grapevine_packets_dropped_total{reason=\"bad_seal\"}")).isPositive();
    assertThat(metricValue(metrics, "grapevine_packets_dropped_total{reason=\"unsealed\"}")).isPositive();
    assertThat(metrics).contains("grapevine_keyring_opened_total{key=\"");
    assertThat(metricValue(metrics, "grapevine_packets_sealed_total")).isPositive();
    assertThat(states(a)).containsOnlyKeys("enc-a", "enc-b");
    Run info = cli("info", "--http", a.http());
    assertThat(info.exit()).as(info.err()).isZero();
    assertThat(info.out()).contains("active=true").contains("bits, primary, opened").doesNotContain(key);

    // Restarted without --encrypt, a still has its key (from the data directory) and rejoins b.
    a.process().destroyForcibly();
    assertThat(a.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    Agent again = startAgent("enc-a", ports[0], ports[1], "--join", b.gossip(), "--config", fastConfig("enc-a"),
        "--data-dir", dataDir.toString());
    await("restarted agent rejoins with its stored key").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
          assertThat(states(again)).containsEntry("enc-b", "alive").containsEntry("enc-a", "alive");
          assertThat(states(b)).containsEntry("enc-a", "alive");
        });
  }

  private static double metricValue(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(
        l -> Double.parseDouble(l.substring(name.length() + 1).strip())).findFirst().orElse(-1);
  }

  private HttpResponse<String> send(Agent agent, String method, String path, String body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://" + agent.http() + path))
        .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.ofString(body)).build();
    return http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private Process startCli(Path out, Path err, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    started.add(p);
    return p;
  }

  private String fastConfig(String name) throws IOException {
    Path p = work.resolve(name + ".properties");
    Files.writeString(p, "profile=local\nmembership.probe-interval=400ms\nmembership.probe-timeout=150ms\n"
        + "membership.suspicion-max-timeout-mult=3\n");
    return p.toString();
  }

  private Agent startAgent(String name, int gossipPort, int httpPort, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx128m", "-XX:+UseSerialGC", "-jar", jar.toString(), "agent"));
    if (!List.of(args).contains("--config") || !name.equals("node-a")) {
      cmd.addAll(List.of("--name", name, "--bind", "127.0.0.1:" + gossipPort, "--http", "127.0.0.1:" + httpPort));
    }
    cmd.addAll(List.of(args));
    Path log = work.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    return new Agent(name, p, gossipPort, httpPort, log);
  }

  private Run cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(work, "cli", ".out");
    Path err = Files.createTempFile(work, "cli", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    started.add(p);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("command finished: " + cmd).isTrue();
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private Map<String, String> states(Agent agent) throws Exception {
    HttpResponse<String> r = get(agent, "/v1/members", agent.name().equals("node-a") ? TOKEN : null);
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, String> states = new HashMap<>();
    JSON.readTree(r.body()).get("members").forEach(m -> states.put(m.get("name").asText(), m.get("state").asText()));
    return states;
  }

  private HttpResponse<String> get(Agent agent, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + agent.http() + path))
        .timeout(Duration.ofSeconds(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * Fixed ports below 32768 (outside Linux's ephemeral range), each checked free for TCP and UDP
   * on loopback. The start is random so parallel builds on one host rarely collide.
   */
  static int[] freePorts(int count) throws IOException {
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
