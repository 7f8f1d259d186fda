package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grapevine.EventOverlay;
import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.MembershipConfig;
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
        yaml + ":5: unknown protocol 'gossipp'; known: membership, dissemination, kv, aggregation, hyparview,"
            + " plumtree, ring, query",
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

  @Test
  void wildcardBindNeedsAnAdvertiseAddress() {
    AgentSettings.Flags f = flags("n");
    f.bind = "0.0.0.0:7946";
    assertThat(problems(f)).singleElement().asString()
        .isEqualTo("--bind: 0.0.0.0:7946 is a wildcard address: also give --advertise HOST:PORT (or 'advertise'),"
            + " the address other nodes should use");
    f.advertise = "10.1.2.3:7946";
    assertThat(AgentSettings.resolve(f).advertise()).isEqualTo("10.1.2.3:7946");
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
}
