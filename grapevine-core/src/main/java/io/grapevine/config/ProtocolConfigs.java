// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.HyParViewConfig;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.SortedRingConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One config per {@link ConfigRegistry} section: everything a node's protocols are tuned with.
 * {@link #apply} sets knobs named {@code SECTION.KNOB}, the way config files write them.
 *
 * @param membership section {@code membership}
 * @param dissemination section {@code dissemination}
 * @param kv section {@code kv}
 * @param aggregation section {@code aggregation}
 * @param hyparview section {@code hyparview}
 * @param plumtree section {@code plumtree}
 * @param ring section {@code ring}
 * @param coordinates section {@code coordinates}
 * @param transport section {@code transport} (socket nodes only)
 * @param encryption section {@code encryption}: inert unless the node has a key
 * @param query section {@code query}
 */
public record ProtocolConfigs(
    MembershipConfig membership,
    DisseminationConfig dissemination,
    AntiEntropyConfig kv,
    AggregationConfig aggregation,
    HyParViewConfig hyparview,
    PlumtreeConfig plumtree,
    SortedRingConfig ring,
    CoordinatesConfig coordinates,
    TransportConfig transport,
    EncryptionConfig encryption,
    QueryConfig query) {

  /** Checks that every config is given. */
  public ProtocolConfigs {
    Objects.requireNonNull(membership, "membership");
    Objects.requireNonNull(dissemination, "dissemination");
    Objects.requireNonNull(kv, "kv");
    Objects.requireNonNull(aggregation, "aggregation");
    Objects.requireNonNull(hyparview, "hyparview");
    Objects.requireNonNull(plumtree, "plumtree");
    Objects.requireNonNull(ring, "ring");
    Objects.requireNonNull(coordinates, "coordinates");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(encryption, "encryption");
    Objects.requireNonNull(query, "query");
  }

  /** The seven protocol sections, with the defaults of the later sections. */
  public ProtocolConfigs(MembershipConfig membership, DisseminationConfig dissemination, AntiEntropyConfig kv,
      AggregationConfig aggregation, HyParViewConfig hyparview, PlumtreeConfig plumtree, SortedRingConfig ring) {
    this(membership, dissemination, kv, aggregation, hyparview, plumtree, ring, CoordinatesConfig.defaults(),
        TransportConfig.defaults(), EncryptionConfig.defaults(),
        QueryConfig.defaults());
  }

  /** Every section's defaults (membership: the {@code lan} profile). */
  public static ProtocolConfigs defaults() {
    return new ProtocolConfigs(MembershipConfig.lan(), DisseminationConfig.defaults(), AntiEntropyConfig.defaults(),
        AggregationConfig.defaults(), HyParViewConfig.defaults(), PlumtreeConfig.defaults(),
        SortedRingConfig.defaults(), CoordinatesConfig.defaults(), TransportConfig.defaults(),
        EncryptionConfig.defaults(), QueryConfig.defaults());
  }

  /** The config of {@code section}. */
  public <C> C get(Section<C> section) {
    Object c;
    switch (section.name()) {
      case "membership" -> c = membership;
      case "dissemination" -> c = dissemination;
      case "kv" -> c = kv;
      case "aggregation" -> c = aggregation;
      case "hyparview" -> c = hyparview;
      case "plumtree" -> c = plumtree;
      case "ring" -> c = ring;
      case "coordinates" -> c = coordinates;
      case "transport" -> c = transport;
      case "encryption" -> c = encryption;
      case "query" -> c = query;
      default -> throw new IllegalArgumentException(ConfigRegistry.unknownSection(section.name()));
    }
    return section.configClass().cast(c);
  }

  /** These configs with {@code section}'s replaced by {@code config}. */
  public <C> ProtocolConfigs with(Section<C> section, C config) {
    Objects.requireNonNull(config, "config");
    Object[] c = {membership, dissemination, kv, aggregation, hyparview, plumtree, ring, coordinates, transport,
        encryption, query};
    c[ConfigRegistry.sections().indexOf(section)] = section.configClass().cast(config);
    return new ProtocolConfigs((MembershipConfig) c[0], (DisseminationConfig) c[1], (AntiEntropyConfig) c[2],
        (AggregationConfig) c[3], (HyParViewConfig) c[4], (PlumtreeConfig) c[5], (SortedRingConfig) c[6],
        (CoordinatesConfig) c[7], (TransportConfig) c[8], (EncryptionConfig) c[9],
        (QueryConfig) c[10]);
  }

  /** These configs with the membership config replaced, e.g. by a profile. */
  public ProtocolConfigs withMembership(MembershipConfig config) {
    return with(ConfigRegistry.MEMBERSHIP, config);
  }

  /**
   * Applies settings keyed {@code SECTION.KNOB} ({@code kv.syncInterval}, {@code kv.sync-interval})
   * over these configs. Every problem of every section is collected before anything is thrown, one
   * line each, as {@link Section#apply(Object, List)} words them, plus {@code SOURCE: unknown
   * protocol 'gossipp'; known: membership, ...} for a section that does not exist.
   *
   * @return the configs with the settings applied; sections without settings are kept as they are
   * @throws ConfigException with a line per problem
   */
  public ProtocolConfigs apply(List<Setting> settings) {
    List<String> problems = new ArrayList<>();
    Map<Section<?>, List<Setting>> bySection = new LinkedHashMap<>();
    for (Setting s : settings) {
      int dot = s.key().indexOf('.');
      if (dot <= 0 || dot == s.key().length() - 1) {
        problems.add(s.source() + ": expected SECTION.KNOB like kv.syncInterval, got '" + s.key() + "'");
        continue;
      }
      String sectionName = s.key().substring(0, dot);
      Optional<Section<?>> section = ConfigRegistry.find(sectionName);
      if (section.isEmpty()) {
        problems.add(s.source() + ": " + ConfigRegistry.unknownSection(sectionName));
        continue;
      }
      bySection.computeIfAbsent(section.get(), k -> new ArrayList<>())
          .add(new Setting(s.key().substring(dot + 1), s.value(), s.source()));
    }
    ProtocolConfigs result = this;
    for (Map.Entry<Section<?>, List<Setting>> e : bySection.entrySet()) {
      try {
        result = applySection(result, e.getKey(), e.getValue());
      } catch (ConfigException ex) {
        problems.addAll(ex.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return result;
  }

  private static <C> ProtocolConfigs applySection(ProtocolConfigs configs, Section<C> section, List<Setting> settings) {
    return configs.with(section, section.apply(configs.get(section), settings));
  }
}
