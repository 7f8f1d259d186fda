// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.SortedRingConfig;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ConfigRegistryTest {

  private static List<String> problems(Runnable r) {
    return catchThrowableOfType(ConfigException.class, r::run).problems();
  }

  @Test
  void sectionsAreTheProtocolConfigsAndTheTransport() {
    assertThat(ConfigRegistry.names())
        .containsExactly("membership", "dissemination", "kv", "aggregation", "hyparview", "plumtree", "ring",
            "coordinates", "transport", "encryption", "query");
    assertThat(ProtocolConfigs.defaults().apply(List.of(new Setting("transport.mode", "tcp-only", "t")))
        .transport().mode).isEqualTo(TransportConfig.Mode.TCP_ONLY);
    assertThat(ConfigRegistry.section("kv")).isSameAs(ConfigRegistry.KV);
    assertThat(ConfigRegistry.KV.configClass()).isEqualTo(AntiEntropyConfig.class);
    assertThat(ConfigRegistry.RING.configClass()).isEqualTo(SortedRingConfig.class);
    assertThatThrownBy(() -> ConfigRegistry.section("gossipp")).hasMessage(
        "unknown protocol 'gossipp'; known: membership, dissemination, kv, aggregation, hyparview, plumtree, ring,"
            + " coordinates, transport, encryption, query");
  }

  /** Every setter of every builder is a knob, and every knob is documented for the reference table. */
  @Test
  void everyBuilderSetterIsADocumentedKnob() {
    for (Section<?> s : ConfigRegistry.sections()) {
      Class<?> b = Arrays.stream(s.configClass().getDeclaredClasses())
          .filter(c -> c.getSimpleName().equals("Builder")).findFirst().orElseThrow();
      Set<String> setters = Arrays.stream(b.getMethods())
          .filter(m -> m.getParameterCount() == 1 && m.getReturnType() == b && !Modifier.isStatic(m.getModifiers()))
          .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
      Set<String> knobs = s.knobs().stream().map(Knob::name).collect(Collectors.toCollection(TreeSet::new));
      assertThat(knobs).as(s.name()).isEqualTo(setters);
      for (Knob k : s.knobs()) {
        assertThat(k.doc()).as(k.qualifiedName()).isNotBlank().doesNotContain("|").doesNotContain("\n");
        assertThat(k.section()).isEqualTo(s.name());
        if (k.type() == int.class || k.type() == long.class) {
          assertThat(k.unit()).as(k.qualifiedName() + " unit").isNotBlank();
        }
      }
    }
    assertThat(ConfigRegistry.MEMBERSHIP.knobs()).hasSize(37);
    assertThat(ConfigRegistry.KV.knobs()).hasSize(11);
    assertThat(ConfigRegistry.RING.knobs()).extracting(Knob::name)
        .containsExactly("roundInterval", "randomPeersPerRound", "maxDescriptors", "forgetFailedFor");
  }

  @Test
  void defaultsAreReadFromTheDefaultConfig() {
    Knob sync = ConfigRegistry.KV.knob("syncInterval").orElseThrow();
    assertThat(sync.defaultValue()).isEqualTo(AntiEntropyConfig.defaults().syncInterval);
    assertThat(sync.defaultText()).isEqualTo("2s");
    assertThat(sync.unit()).isEqualTo("duration");
    Knob mode = ConfigRegistry.DISSEMINATION.knob("mode").orElseThrow();
    assertThat(mode.defaultText()).isEqualTo("piggyback");
    assertThat(mode.typeName()).isEqualTo("one of push, pull, push-pull, piggyback");
    assertThat(ConfigRegistry.MEMBERSHIP.knob("probe-interval").orElseThrow().defaultValue())
        .isEqualTo(MembershipConfig.lan().probeInterval);
    assertThat(ConfigRegistry.AGGREGATION.knob("retryAfter").orElseThrow().defaultText()).isEqualTo("50ms");
  }

  /** Setting a knob to its default text gives the default back, through parse, format and the builder. */
  @Test
  void everyKnobOfEverySectionRoundTripsItsDefault() {
    for (Section<?> s : ConfigRegistry.sections()) {
      roundTripDefaults(s);
    }
  }

  private static <C> void roundTripDefaults(Section<C> s) {
    Map<String, String> all = new LinkedHashMap<>();
    for (Knob k : s.knobs()) {
      assertThat(k.parse(k.defaultText())).as(k.qualifiedName()).isEqualTo(k.defaultValue());
      all.put(k.kebabName(), k.defaultText());
    }
    C c = s.apply(s.defaults(), all, "test");
    for (Knob k : s.knobs()) {
      assertThat(s.value(c, k)).as(k.qualifiedName()).isEqualTo(k.defaultValue());
    }
  }

  /** Each knob reaches its own field: some other valid value set through the registry reads back. */
  @Test
  void everyKnobSetsItsOwnField() {
    for (Section<?> s : ConfigRegistry.sections()) {
      setsOwnField(s);
    }
  }

  private static <C> void setsOwnField(Section<C> s) {
    for (Knob k : s.knobs()) {
      boolean changed = false;
      for (String candidate : otherValues(k)) {
        C c;
        try {
          c = s.apply(s.defaults(), Map.of(k.name(), candidate), "test");
        } catch (ConfigException e) {
          continue; // this value breaks a rule of the builder; try the next
        }
        assertThat(s.value(c, k)).as(k.qualifiedName() + " = " + candidate).isEqualTo(k.parse(candidate))
            .isNotEqualTo(k.defaultValue());
        for (Knob other : s.knobs()) {
          if (other != k && !(s.name().equals("aggregation") && other.name().equals("retryAfter"))) {
            assertThat(s.value(c, other)).as(other.qualifiedName() + " after setting " + k.name())
                .isEqualTo(other.defaultValue());
          }
        }
        changed = true;
        break;
      }
      assertThat(changed).as("no other valid value found for " + k.qualifiedName()).isTrue();
    }
  }

  private static List<String> otherValues(Knob k) {
    List<String> out = new ArrayList<>();
    Object d = k.defaultValue();
    if (d instanceof Duration dur) {
      long ms = dur.toMillis();
      for (long v : new long[] {ms + 1, ms - 1, ms * 2, ms / 2, 1}) {
        if (v >= 0 && v != ms) {
          out.add(v + "ms");
        }
      }
    } else if (d instanceof Integer i) {
      for (int v : new int[] {i + 1, i - 1, i * 2, i / 2}) {
        if (v != i) {
          out.add(Integer.toString(v));
        }
      }
    } else if (d instanceof Double x) {
      for (double v : new double[] {x / 2, x * 2, x + 1}) {
        out.add(Double.toString(v));
      }
    } else if (d instanceof Boolean b) {
      out.add(Boolean.toString(!b));
    } else if (d instanceof Enum<?> e) {
      for (Object c : e.getDeclaringClass().getEnumConstants()) {
        if (c != e) {
          out.add(k.format(c));
        }
      }
    }
    return out;
  }

  @Test
  void kebabCamelAndSnakeNamesAllWork() {
    for (String key : List.of("syncInterval", "sync-interval", "sync_interval", "SYNC_INTERVAL")) {
      AntiEntropyConfig c = ConfigRegistry.KV.apply(null, Map.of(key, "1.5s"), "test");
      assertThat(c.syncInterval).as(key).isEqualTo(Duration.ofMillis(1500));
    }
    DisseminationConfig d = ConfigRegistry.DISSEMINATION.apply(null, Map.of("mode", "Push-Pull"), "x");
    assertThat(d.mode).isEqualTo(DisseminationConfig.Mode.PUSH_PULL);
  }

  @Test
  void aBadValueNamesSourceKnobAndRule() {
    assertThat(problems(() -> ConfigRegistry.KV.apply(null, Map.of("syncInterval", "soon"), "agent.yaml:12")))
        .containsExactly(
            "agent.yaml:12: kv.syncInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'");
    assertThat(problems(() -> ConfigRegistry.KV.apply(null, Map.of("merkle-depth", "deep"), "--set")))
        .containsExactly("--set: kv.merkleDepth: expected a whole number, got 'deep'");
    assertThat(problems(() -> ConfigRegistry.MEMBERSHIP.apply(null, Map.of("lifeguard", "yes"), "f:3")))
        .containsExactly("f:3: membership.lifeguard: expected true or false, got 'yes'");
    assertThat(problems(() -> ConfigRegistry.AGGREGATION.apply(null, Map.of("mode", "gossip"), "f:4")))
        .containsExactly("f:4: aggregation.mode: expected one of push-pull, push-sum, flow, got 'gossip'");
  }

  @Test
  void anUnknownKnobSuggestsTheNearestOrListsThem() {
    assertThat(problems(() -> ConfigRegistry.MEMBERSHIP.apply(null, Map.of("probeIntervall", "1s"), "agent.yaml:7")))
        .containsExactly("agent.yaml:7: unknown knob 'membership.probeIntervall' (did you mean probeInterval?)");
    assertThat(problems(() -> ConfigRegistry.RING.apply(null, Map.of("colour", "red"), "s.yaml:2")))
        .containsExactly("s.yaml:2: unknown knob 'ring.colour' (known: roundInterval, randomPeersPerRound,"
            + " maxDescriptors, forgetFailedFor)");
  }

  @Test
  void aBuilderRuleIsReportedPerRuleAtTheKnobItNames() {
    List<Setting> settings = List.of(
        new Setting("probe-interval", "1s", "m.yaml:3"),
        new Setting("probe-timeout", "2s", "m.yaml:4"),
        new Setting("gossip-nodes", "0", "m.yaml:5"));
    assertThat(problems(() -> ConfigRegistry.MEMBERSHIP.apply(MembershipConfig.lan(), settings))).containsExactly(
        "m.yaml:4: membership: probeTimeout (2000ms) must be shorter than probeInterval (1000ms)",
        "m.yaml:5: membership: gossipNodes must be in 1..64, got 0");
    // The overlay builders stop at the first broken rule.
    assertThat(problems(() -> ConfigRegistry.RING.apply(null, Map.of("forgetFailedFor", "1s"), "r:9")))
        .containsExactly("r:9: ring: forgetFailedFor must be longer than roundInterval, got PT1S");
  }

  @Test
  void aKnobSetTwiceIsAnError() {
    List<Setting> settings = List.of(new Setting("syncInterval", "1s", "a:1"), new Setting("sync-interval", "2s", "a:2"));
    assertThat(problems(() -> ConfigRegistry.KV.apply(null, settings)))
        .containsExactly("a:2: kv.syncInterval: set twice (also at a:1)");
  }

  @Test
  void noSettingsKeepTheBase() {
    MembershipConfig wan = MembershipConfig.wan();
    assertThat(ConfigRegistry.MEMBERSHIP.apply(wan, List.of())).isSameAs(wan);
    // Settings go over the base, not over the defaults.
    MembershipConfig c = ConfigRegistry.MEMBERSHIP.apply(wan, Map.of("gossipNodes", "5"), "x");
    assertThat(c.gossipNodes).isEqualTo(5);
    assertThat(c.probeInterval).isEqualTo(wan.probeInterval).isNotEqualTo(MembershipConfig.lan().probeInterval);
  }

  @Test
  void protocolConfigsAppliesEverySectionAndCollectsEveryProblem() {
    ProtocolConfigs c = ProtocolConfigs.defaults().apply(List.of(
        new Setting("membership.probeInterval", "2s", "a:1"),
        new Setting("dissemination.fanout", "2", "a:2"),
        new Setting("kv.sync-interval", "500ms", "a:3"),
        new Setting("aggregation.epochRounds", "90", "a:4"),
        new Setting("hyparview.activeViewSize", "6", "a:5"),
        new Setting("plumtree.graftTimeout", "300ms", "a:6"),
        new Setting("ring.maxDescriptors", "12", "a:7"),
        new Setting("encryption.verifyIncoming", "false", "a:8")));
    assertThat(c.membership().probeInterval).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.dissemination().fanout).isEqualTo(2);
    assertThat(c.kv().syncInterval).isEqualTo(Duration.ofMillis(500));
    assertThat(c.aggregation().epochRounds).isEqualTo(90);
    assertThat(c.hyparview().activeViewSize).isEqualTo(6);
    assertThat(c.plumtree().graftTimeout).isEqualTo(Duration.ofMillis(300));
    assertThat(c.ring().maxDescriptors).isEqualTo(12);
    assertThat(c.encryption().verifyIncoming).isFalse();
    assertThat(c.encryption().verifyOutgoing).isTrue();
    assertThat(c.get(ConfigRegistry.KV)).isSameAs(c.kv());
    assertThat(c.aggregation().mode).isEqualTo(AggregationConfig.defaults().mode);

    assertThat(problems(() -> ProtocolConfigs.defaults().apply(List.of(
        new Setting("gossipp.fanout", "3", "agent.yaml:3"),
        new Setting("kv.syncInterval", "soon", "agent.yaml:12"),
        new Setting("membership.probeIntervall", "1s", "agent.yaml:7"),
        new Setting("fanout", "3", "agent.yaml:8")))))
        .containsExactly(
            "agent.yaml:3: unknown protocol 'gossipp'; known: membership, dissemination, kv, aggregation,"
                + " hyparview, plumtree, ring, coordinates, transport, encryption, query",
            "agent.yaml:8: expected SECTION.KNOB like kv.syncInterval, got 'fanout'",
            "agent.yaml:12: kv.syncInterval: expected a duration like 250ms, 1.5s, 2m or PT1S, got 'soon'",
            "agent.yaml:7: unknown knob 'membership.probeIntervall' (did you mean probeInterval?)");
  }

  @Test
  void withReplacesOneSection() {
    ProtocolConfigs d = ProtocolConfigs.defaults();
    MembershipConfig wan = MembershipConfig.wan();
    ProtocolConfigs w = d.withMembership(wan);
    assertThat(w.membership()).isSameAs(wan);
    assertThat(w.kv()).isSameAs(d.kv());
    assertThat(d.membership()).isNotSameAs(wan);
  }
}
