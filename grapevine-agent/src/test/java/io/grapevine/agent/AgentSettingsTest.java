// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grapevine.EventOverlay;
import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.TransportConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentSettingsTest {
  @TempDir Path dir;

  private static AgentSettings.Flags flags(String name) {
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.name = name;
    return f;
  }

  private static List<String> problems(AgentSettings.Flags f) {
    return catchThrowableOfType(SettingsException.class, () -> AgentSettings.resolve(f)).problems();
  }

  /** A properties key may hold a line break (the {@code \n} escape): the problem shows it escaped. */
  @Test
  void aProblemQuotingALineBreakStaysOneLine() throws IOException {
    Path props = dir.resolve("nl.properties");
    Files.writeString(props, "name=a\nba\\ntrval=0\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = props;
    assertThat(problems(f)).singleElement().satisfies(p -> {
      assertThat(p).doesNotContain("\n").contains("unknown setting 'ba\\ntrval'");
    });
  }

  @Test
  void defaults() {
    AgentSettings s = AgentSettings.resolve(flags("n1"));
    assertThat(s.bind()).isEqualTo("127.0.0.1:7946");
    assertThat(s.http()).isEqualTo("127.0.0.1:8946");
    assertThat(s.clusterName()).isEqualTo("grapevine");
    assertThat(s.profile()).isEqualTo("lan");
    assertThat(s.seeds()).isEmpty();
    assertThat(s.httpToken()).isNull();
    assertThat(s.membership().probeInterval).isEqualTo(MembershipConfig.lan().probeInterval);
    assertThat(s.joinTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.overlay()).isEqualTo(EventOverlay.FULL_MEMBERSHIP);
    assertThat(s.tree()).isFalse();
  }

  @Test
  void treeComesFromTheFileOrTheFlagAndABadOneIsNamed() throws IOException {
    Path yaml = dir.resolve("tree.yaml");
    // A bare on, which a YAML 1.1 reader may hand over as true.
    Files.writeString(yaml, "name: n\ntree: on\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(AgentSettings.resolve(f).tree()).isTrue();
    f.tree = "off";
    assertThat(AgentSettings.resolve(f).tree()).isFalse();
    f.tree = "ON";
    assertThat(AgentSettings.resolve(f).tree()).isTrue();
    f.tree = "maybe";
    assertThat(problems(f)).containsExactly("--tree: expected on or off, got 'maybe'");
    Path props = dir.resolve("tree.properties");
    Files.writeString(props, "name=n\ntree=yes please\n");
    AgentSettings.Flags p = new AgentSettings.Flags();
    p.config = props;
    assertThat(problems(p)).containsExactly(props + ":2: tree: expected on or off, got 'yes please'");
    p.tree = "on";
    assertThat(AgentSettings.resolve(p).tree()).isTrue();
  }

  @Test
  void overlayComesFromTheFileOrTheFlagAndABadOneIsNamed() throws IOException {
    Path yaml = dir.resolve("overlay.yaml");
    Files.writeString(yaml, "name: n\noverlay: hyparview-plumtree\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(AgentSettings.resolve(f).overlay()).isEqualTo(EventOverlay.HYPARVIEW_PLUMTREE);
    f.overlay = "full-membership";
    assertThat(AgentSettings.resolve(f).overlay()).isEqualTo(EventOverlay.FULL_MEMBERSHIP);
    f.overlay = "cyclon";
    assertThat(problems(f)).containsExactly(
        "--overlay: unknown overlay 'cyclon' (known: full-membership, hyparview-plumtree)");
  }

  @Test
  void yamlFileWithFlagsOnTop() throws IOException {
    Path yaml = dir.resolve("agent.yaml");
    Files.writeString(yaml, String.join("\n",
        "name: from-file",
        "cluster: prod",
        "bind: 127.0.0.1:7000",
        "join: [127.0.0.1:7001, 'dns:seeds.example']",
        "profile: wan",
        "join-timeout: 3s",
        "data-dir: " + dir.resolve("data"),
        "meta:",
        "  role: web",
        "  zone: a",
        "membership:",
        "  probe-interval: 7s",
        "  gossipNodes: 5",
        "  lifeguard: false",
        ""));
    AgentSettings.Flags f = flags("from-flag");
    f.config = yaml;
    f.meta = List.of("zone=b");
    f.join = List.of("127.0.0.1:9000,127.0.0.1:9001");
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.name()).isEqualTo("from-flag");
    assertThat(s.clusterName()).isEqualTo("prod");
    assertThat(s.bind()).isEqualTo("127.0.0.1:7000");
    assertThat(s.seeds()).containsExactly("127.0.0.1:9000", "127.0.0.1:9001");
    assertThat(s.meta()).containsEntry("role", "web").containsEntry("zone", "b");
    assertThat(s.profile()).isEqualTo("wan");
    assertThat(s.joinTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.dataDir()).isEqualTo(dir.resolve("data"));
    assertThat(s.membership().probeInterval).isEqualTo(Duration.ofSeconds(7));
    assertThat(s.membership().gossipNodes).isEqualTo(5);
    assertThat(s.membership().lifeguard).isFalse();
    // Untouched knobs keep the profile's value.
    assertThat(s.membership().probeTimeout).isEqualTo(MembershipConfig.wan().probeTimeout);
  }

  @Test
  void yamlSeedListIsUsedWhenNoFlag() throws IOException {
    Path yaml = dir.resolve("a.yml");
    Files.writeString(yaml, "name: a\njoin:\n  - 127.0.0.1:7001\n  - dns:seeds.local:7946\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(AgentSettings.resolve(f).seeds()).containsExactly("127.0.0.1:7001", "dns:seeds.local:7946");
  }

  @Test
  void propertiesFile() throws IOException {
    Path props = dir.resolve("agent.properties");
    Files.writeString(props, "name=p\njoin=127.0.0.1:1, 127.0.0.1:2\nmeta.role=db\nmembership.retransmit-mult=6\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = props;
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.seeds()).containsExactly("127.0.0.1:1", "127.0.0.1:2");
    assertThat(s.meta()).containsEntry("role", "db");
    assertThat(s.membership().retransmitMult).isEqualTo(6);
  }

  @Test
  void everyBadSettingIsOneLineNamingItsSource() throws IOException {
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, String.join("\n",
        "name: n",
        "colour: blue",
        "bind: nowhere",
        "join: [127.0.0.1:0]",
        "profile: moon",
        "meta:",
        "  'bad key': 1",
        "membership:",
        "  probe-intervall: 1s",
        ""));
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    f.advertise = "1.2.3.4";
    List<String> p = problems(f);
    assertThat(p).hasSize(7).allSatisfy(line -> assertThat(line).doesNotContain("\n"));
    assertThat(p).anySatisfy(l -> assertThat(l).startsWith(yaml + ":2: unknown setting 'colour'"));
    assertThat(p).contains(yaml + ":3: bind: expected HOST:PORT, got 'nowhere'");
    assertThat(p).contains(yaml + ":4: join: port must be 1..65535 in '127.0.0.1:0'");
    assertThat(p).contains("--advertise: expected HOST:PORT, got '1.2.3.4'");
    assertThat(p).anySatisfy(l -> assertThat(l).startsWith(yaml + ":5: profile: unknown profile 'moon'"));
    assertThat(p).anySatisfy(l -> assertThat(l).startsWith(yaml + ":7: meta.bad key: ").contains("metadata key 'bad key'"));
    assertThat(p).contains(yaml + ":9: unknown knob 'membership.probe-intervall' (did you mean probeInterval?)");
  }

  @Test
  void membershipValidationIsReportedPerKnob() throws IOException {
    Path yaml = dir.resolve("m.yaml");
    Files.writeString(yaml, "name: n\nmembership:\n  probe-interval: 1s\n  probe-timeout: 2s\n  gossip-nodes: lots\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(problems(f)).containsExactly(yaml + ":5: membership.gossipNodes: expected a whole number, got 'lots'");
    Files.writeString(yaml, "name: n\nmembership:\n  probe-interval: 1s\n  probe-timeout: 2s\n");
    assertThat(problems(f)).containsExactly(
        yaml + ":4: membership: probeTimeout (2000ms) must be shorter than probeInterval (1000ms)");
  }

  /** One knob of every section, nested or dotted, reaches the settings the agent starts its node with. */
  @Test
  void aKnobOfEverySectionTakesEffect() throws IOException {
    Path yaml = dir.resolve("knobs.yaml");
    Files.writeString(yaml, String.join("\n",
        "name: n",
        "profile: wan",
        "overlay: hyparview-plumtree",
        "tree: on",
        "membership:",
        "  gossip-nodes: 5",
        "dissemination: {fanout: 2, mode: push-pull}",
        "kv:",
        "  sync-interval: 1.5s",
        "aggregation.epochRounds: 90",
        "hyparview:",
        "  active-view-size: 6",
        "plumtree:",
        "  graftTimeout: PT0.3S",
        "ring:",
        "  max-descriptors: 12",
        ""));
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.membership().gossipNodes).isEqualTo(5);
    assertThat(s.membership().probeInterval).isEqualTo(MembershipConfig.wan().probeInterval);
    assertThat(s.protocols().dissemination().fanout).isEqualTo(2);
    assertThat(s.protocols().dissemination().mode).isEqualTo(DisseminationConfig.Mode.PUSH_PULL);
    assertThat(s.protocols().kv().syncInterval).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.protocols().aggregation().epochRounds).isEqualTo(90);
    assertThat(s.protocols().hyparview().activeViewSize).isEqualTo(6);
    assertThat(s.protocols().plumtree().graftTimeout).isEqualTo(Duration.ofMillis(300));
    assertThat(s.protocols().ring().maxDescriptors).isEqualTo(12);
    // Untouched knobs keep their defaults.
    assertThat(s.protocols().kv().merkleDepth).isEqualTo(AntiEntropyConfig.defaults().merkleDepth);

    Path props = dir.resolve("knobs.properties");
    Files.writeString(props, "name=n\nkv.sync-interval=250ms\naggregation.mode=push-sum\n");
    AgentSettings.Flags p = new AgentSettings.Flags();
    p.config = props;
    AgentSettings fromProps = AgentSettings.resolve(p);
    assertThat(fromProps.protocols().kv().syncInterval).isEqualTo(Duration.ofMillis(250));
    assertThat(fromProps.protocols().aggregation().mode).isEqualTo(AggregationConfig.Mode.PUSH_SUM);
    assertThat(AgentSettings.resolve(flags("d")).protocols()).usingRecursiveComparison()
        .isEqualTo(ProtocolConfigs.defaults());
  }

  @Test
  void badKnobsAreOneLineEachWithFileLineAndRule() throws IOException {
    Path yaml = dir.resolve("agent.yaml");
    Files.writeString(yaml, String.join("\n",
        "name: n",
        "kv:",
        "  sync-interval: soon",
        "gossipp:",
        "  fanout: 3",
        "membership:",
        "  probeIntervall: 1s",
        "aggregation:",
        "  round-interval: 500",
        "dissemination.k: 0",
        ""));
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(problems(f)).containsExactlyInAnyOrder(
        yaml + ":3: kv.syncInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'",
        yaml + ":5: " + io.grapevine.config.ConfigRegistry.unknownSection("gossipp"),
        yaml + ":7: unknown knob 'membership.probeIntervall' (did you mean probeInterval?)",
        yaml + ":9: aggregation.roundInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got '500':"
            + " add a unit, like 500ms",
        yaml + ":10: dissemination: k must be in 1..1000, got 0");
  }

  @Test
  void knobsOfAProtocolTheNodeDoesNotRunAreRefused() throws IOException {
    Path yaml = dir.resolve("idle.yaml");
    Files.writeString(yaml, "name: n\nring:\n  round-interval: 2s\nhyparview.shuffle-ttl: 4\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(problems(f)).containsExactly(
        yaml + ":3: ring.round-interval: has no effect unless tree is on",
        yaml + ":4: hyparview.shuffle-ttl: has no effect unless overlay is hyparview-plumtree (it is full-membership)");
    f.tree = "on";
    f.overlay = "hyparview-plumtree";
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.protocols().ring().roundInterval).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.protocols().hyparview().shuffleTtl).isEqualTo(4);
  }

  @Test
  void theClusterNameLimitIsTheWireFormats() {
    AgentSettings.Flags f = flags("n");
    f.clusterName = "c".repeat(64);
    assertThat(AgentSettings.resolve(f).clusterName()).hasSize(64);
    f.clusterName = "c".repeat(65);
    assertThat(problems(f)).containsExactly(
        "--cluster: cluster name must be 1..64 UTF-8 bytes (the packet header's limit), got 65");
  }

  @Test
  void aKeyGivenTwiceIsAnError() throws IOException {
    Path yaml = dir.resolve("twice.yaml");
    Files.writeString(yaml, "name: n\nkv:\n  gc-interval: 5s\nkv.gc-interval: 6s\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(problems(f)).containsExactly(yaml + ":4: kv.gc-interval: given twice (also on line 3)");
    // The same knob in two spellings is caught by the registry.
    Files.writeString(yaml, "name: n\nkv:\n  gc-interval: 5s\n  gcInterval: 6s\n");
    assertThat(problems(f)).containsExactly(yaml + ":4: kv.gcInterval: set twice (also at " + yaml + ":3)");
  }

  /** Found by ConfigFuzzTest: a NUL in a path escaped as InvalidPathException, a stack trace. */
  @Test
  void aDataDirThatIsNoPathIsOneLine() throws IOException {
    Path yaml = dir.resolve("nul.yaml");
    Files.writeString(yaml, "name: n\ndata-dir: \"/var/lib/a\\0b\"\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = yaml;
    assertThat(problems(f)).containsExactly(yaml + ":2: data-dir: not a usable path (Nul character not allowed)");
  }

  /** The example files in docs/examples must stay valid and say the same thing. */
  @Test
  void documentedExamplesLoadAndAgree() {
    Path docs = Path.of(System.getProperty("user.dir")).resolve("../docs/examples").normalize();
    AgentSettings.Flags yaml = new AgentSettings.Flags();
    yaml.config = docs.resolve("agent.yaml");
    AgentSettings.Flags props = new AgentSettings.Flags();
    props.config = docs.resolve("agent.properties");
    AgentSettings a = AgentSettings.resolve(yaml);
    AgentSettings b = AgentSettings.resolve(props);
    assertThat(a.name()).isEqualTo("alpha");
    assertThat(a.seeds()).containsExactly("10.0.0.6:7946", "dns:grapevine.prod.svc.cluster.local:7946");
    assertThat(a.meta()).containsEntry("zone", "eu-1");
    assertThat(List.of(b.name(), b.clusterName(), b.bind(), b.advertise(), b.seeds(), b.http(), b.httpToken(),
            b.profile(), b.meta(), b.dataDir(), b.joinTimeout(), b.overlay(), b.tree()))
        .isEqualTo(List.of(a.name(), a.clusterName(), a.bind(), a.advertise(), a.seeds(), a.http(), a.httpToken(),
            a.profile(), a.meta(), a.dataDir(), a.joinTimeout(), a.overlay(), a.tree()));
    assertThat(b.membership().suspicionMult).isEqualTo(a.membership().suspicionMult).isEqualTo(4);
    assertThat(a.protocols().kv().syncInterval).isEqualTo(Duration.ofMillis(1500));
    assertThat(b.protocols()).usingRecursiveComparison().isEqualTo(a.protocols());
  }

  /** docs/cli.md shows docs/examples/agent.yaml as it is. */
  @Test
  void theCliPageShowsTheExampleFile() throws IOException {
    Path docs = Path.of(System.getProperty("user.dir")).resolve("../docs").normalize();
    String example = Files.readString(docs.resolve("examples/agent.yaml"));
    assertThat(Files.readString(docs.resolve("cli.md"))).contains("```yaml\n" + example + "```\n");
  }

  @Test
  void nameIsRequired() {
    assertThat(problems(new AgentSettings.Flags())).containsExactly(
        "a node name is required: give --name NAME or 'name' in the config file");
  }

  @Test
  void nonLoopbackHttpNeedsAToken() {
    AgentSettings.Flags f = flags("n");
    f.http = "0.0.0.0:8946";
    assertThat(problems(f)).singleElement().asString()
        .startsWith("--http: the HTTP API on non-loopback address 0.0.0.0:8946 requires a bearer token");
    f.httpToken = "s3cret";
    assertThat(AgentSettings.resolve(f).httpToken()).isEqualTo("s3cret");
  }

  private static AdvertiseAddress.HostAddress addr(String iface, String ip) throws Exception {
    return new AdvertiseAddress.HostAddress(iface, java.net.InetAddress.getByName(ip), true, false);
  }

  @Test
  void wildcardBindAdvertisesTheOnlyPrivateAddress() throws Exception {
    AgentSettings.Flags f = flags("n");
    f.bind = "0.0.0.0:7946";
    f.hostAddresses = List.of(addr("eth0", "192.0.2.2"), addr("eth1", "198.18.0.5"), addr("eth1", "fd00::5"),
        new AdvertiseAddress.HostAddress("lo", java.net.InetAddress.getByName("127.0.0.1"), true, true));
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.advertise()).isEqualTo("198.18.0.5:7946");
    assertThat(s.advertiseNote()).contains("advertising 198.18.0.5").contains("eth1");

    f.bind = "[::]:7000";
    assertThat(AgentSettings.resolve(f).advertise()).isEqualTo("[fd00::5]:7000");

    // A given --advertise wins and nothing is picked.
    f.advertise = "10.1.2.3:7946";
    assertThat(AgentSettings.resolve(f).advertise()).isEqualTo("10.1.2.3:7946");
    assertThat(AgentSettings.resolve(f).advertiseNote()).isNull();
  }

  @Test
  void wildcardBindRefusesWhenAmbiguousOrNone() throws Exception {
    AgentSettings.Flags f = flags("n");
    f.bind = "0.0.0.0:7946";
    f.hostAddresses = List.of(addr("eth0", "10.0.0.1"), addr("eth1", "192.168.1.9"));
    assertThat(problems(f)).singleElement().asString()
        .isEqualTo("--bind: 0.0.0.0:7946 is a wildcard address and found several private IPv4 (RFC 1918, RFC 6598"
            + " or 198.18.0.0/15) addresses to advertise: 10.0.0.1 (eth0), 192.168.1.9 (eth1); pick one: give"
            + " --advertise HOST:PORT (or 'advertise'), the address other nodes should use");
    f.hostAddresses = List.of(addr("eth0", "192.0.2.2"));
    assertThat(problems(f)).singleElement().asString()
        .startsWith("--bind: 0.0.0.0:7946 is a wildcard address and found no private IPv4");
  }

  @Test
  void tcpOnlyFromTheFlagOrTheFile() throws IOException {
    AgentSettings.Flags f = flags("n");
    assertThat(AgentSettings.resolve(f).protocols().transport().tcpOnly()).isFalse();
    f.tcpOnly = true;
    assertThat(AgentSettings.resolve(f).protocols().transport().tcpOnly()).isTrue();
    Path yaml = dir.resolve("tcp.yaml");
    Files.writeString(yaml, "name: n\ntransport:\n  mode: tcp-only\n");
    AgentSettings.Flags g = new AgentSettings.Flags();
    g.config = yaml;
    assertThat(AgentSettings.resolve(g).protocols().transport().mode).isEqualTo(TransportConfig.Mode.TCP_ONLY);
    Files.writeString(yaml, "name: n\ntransport.mode: udp-only\n");
    assertThat(problems(g)).singleElement().asString().contains("transport.mode").contains("udp-only");
  }

  @Test
  void metadataMustFitTheLimit() {
    AgentSettings.Flags f = flags("n");
    f.meta = List.of("big=" + "x".repeat(600));
    assertThat(problems(f)).singleElement().asString().contains("more than membership.metadataMaxBytes (512)");
  }

  @Test
  void missingFileIsOneLine() {
    AgentSettings.Flags f = flags("n");
    f.config = dir.resolve("nope.yaml");
    assertThat(problems(f)).containsExactly(dir.resolve("nope.yaml") + ": no such file");
  }

  @Test
  void dataDirMustNotBeAFile() throws IOException {
    AgentSettings.Flags f = flags("n");
    f.dataDir = Files.writeString(dir.resolve("file"), "x");
    assertThat(problems(f)).singleElement().asString().endsWith("exists and is not a directory");
  }

  @Test
  void loopbackAndWildcardAddresses() {
    assertThat(AgentSettings.isLoopback("127.0.0.1:1")).isTrue();
    assertThat(AgentSettings.isLoopback("[::1]:1")).isTrue();
    assertThat(AgentSettings.isLoopback("localhost:1")).isTrue();
    assertThat(AgentSettings.isLoopback("0.0.0.0:1")).isFalse();
    assertThat(AgentSettings.isWildcard("0.0.0.0:7946")).isTrue();
    assertThat(AgentSettings.isWildcard("[::]:7946")).isTrue();
    assertThat(AgentSettings.isWildcard("10.0.0.1:7946")).isFalse();
  }

  @Test
  void jsonFileSetsWhatYamlSets() throws IOException {
    Path json = dir.resolve("agent.json");
    Files.writeString(json, String.join("\n",
        "{",
        "  \"name\": \"j1\",",
        "  \"join\": [\"127.0.0.1:7001\", \"127.0.0.1:7002\"],",
        "  \"meta\": {\"role\": \"web\"},",
        "  \"membership\": {\"probe-interval\": \"1500ms\"},",
        "  \"event-handler\": [\"member-join=./a.sh\", \"user:deploy=./b.sh\"],",
        "  \"retry-join-max\": 5",
        "}"));
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = json;
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.name()).isEqualTo("j1");
    assertThat(s.seeds()).containsExactly("127.0.0.1:7001", "127.0.0.1:7002");
    assertThat(s.meta()).containsEntry("role", "web");
    assertThat(s.membership().probeInterval).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.eventHandlers()).extracting(EventHandlers.Spec::command).containsExactly("./a.sh", "./b.sh");
    assertThat(s.retryJoinMax()).isEqualTo(5);

    Files.writeString(json, "{\n  \"name\": \"j1\",\n  \"tree\": maybe\n}");
    assertThat(problems(f)).singleElement().asString().startsWith(json + ":3: not valid JSON: ");
    Files.writeString(json, "{\"name\": \"j1\",\n\"bind\": \"127.0.0.1:1\",\n\"bind\": \"127.0.0.1:2\"}");
    assertThat(problems(f)).containsExactly(json + ":3: bind: given twice (also on line 2)");
    Files.writeString(json, "{\"name\": \"j1\",\n\"retry-join-max\": -1}");
    assertThat(problems(f)).containsExactly(json + ":2: retry-join-max: must be 0..2147483647, got -1");
  }

  @Test
  void configDirFilesMergeInNameOrderLaterWinningAndHandlersAddingUp() throws IOException {
    Path conf = Files.createDirectories(dir.resolve("conf.d"));
    Files.writeString(conf.resolve("10-base.yaml"), String.join("\n",
        "name: base", "cluster: prod", "join: [127.0.0.1:7001]", "event-handler: [member-join=./join.sh]",
        "membership:", "  probe-interval: 4s", ""));
    Files.writeString(conf.resolve("20-site.json"),
        "{\"name\": \"site\", \"join\": [\"127.0.0.1:7002\"], \"event-handler\": \"user=./user.sh\"}");
    Files.writeString(conf.resolve("30-last.properties"), "membership.probe-interval=5s\nretry-join-interval=5s\n");
    Files.writeString(conf.resolve("README.md"), "not read: name: nope");
    Path base = dir.resolve("agent.yaml");
    Files.writeString(base, "name: from-config\nprofile: wan\ncluster: first\n");
    AgentSettings.Flags f = new AgentSettings.Flags();
    f.config = base;
    f.configDir = conf;
    AgentSettings s = AgentSettings.resolve(f);
    assertThat(s.name()).isEqualTo("site");
    assertThat(s.clusterName()).isEqualTo("prod");
    assertThat(s.profile()).isEqualTo("wan");
    assertThat(s.seeds()).containsExactly("127.0.0.1:7002");
    assertThat(s.membership().probeInterval).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.retryJoinInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.eventHandlers()).extracting(EventHandlers.Spec::command).containsExactly("./join.sh", "./user.sh");
    // Flags still win, and add their handlers last.
    f.name = "flag";
    f.eventHandlers = List.of("./all.sh");
    s = AgentSettings.resolve(f);
    assertThat(s.name()).isEqualTo("flag");
    assertThat(s.eventHandlers()).extracting(EventHandlers.Spec::command)
        .containsExactly("./join.sh", "./user.sh", "./all.sh");

    // A problem names the file (and line) it is in, whichever file of the directory that is.
    Files.writeString(conf.resolve("40-bad.yaml"), "tree: sometimes\nevent-handler: [member-joined=x]\n");
    assertThat(problems(f)).containsExactlyInAnyOrder(
        conf.resolve("40-bad.yaml") + ":1: tree: expected on or off, got 'sometimes'",
        conf.resolve("40-bad.yaml") + ":2: event-handler: unknown event 'member-joined' in 'member-joined' (known:"
            + " member-join, member-leave, member-failed, member-update, member-reap, user, user:NAME, query:NAME)");
    f.configDir = dir.resolve("missing.d");
    assertThat(problems(f)).containsExactly(dir.resolve("missing.d") + ": no such directory (--config-dir)");
  }

  @Test
  void retryJoinAndHandlerKnobsHaveDefaultsAndAreChecked() {
    AgentSettings s = AgentSettings.resolve(flags("n"));
    assertThat(s.retryJoinMax()).isZero();
    assertThat(s.retryJoinInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.eventHandlerQueue()).isEqualTo(256);
    assertThat(s.eventHandlerTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.eventHandlers()).isEmpty();
    AgentSettings.Flags f = flags("n");
    f.retryJoinMax = "3";
    f.retryJoinInterval = "2s";
    f.eventHandlerQueue = "8";
    f.eventHandlerTimeout = "500ms";
    s = AgentSettings.resolve(f);
    assertThat(s.retryJoinMax()).isEqualTo(3);
    assertThat(s.retryJoinInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.eventHandlerQueue()).isEqualTo(8);
    assertThat(s.eventHandlerTimeout()).isEqualTo(Duration.ofMillis(500));
    f.retryJoinMax = "some";
    f.retryJoinInterval = "0s";
    f.eventHandlerQueue = "0";
    f.eventHandlerTimeout = "soon";
    assertThat(problems(f)).containsExactlyInAnyOrder(
        "--retry-join-max: expected a whole number, got 'some'",
        "--retry-join-interval: must be positive",
        "--event-handler-queue: must be 1..1000000, got 0",
        "--event-handler-timeout: " + catchThrowableOfType(IllegalArgumentException.class,
            () -> io.grapevine.config.Durations.parse("soon")).getMessage());
  }
}
