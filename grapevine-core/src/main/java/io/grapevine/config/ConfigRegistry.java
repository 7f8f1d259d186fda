// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import io.grapevine.config.AggregationConfig;
import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.config.HyParViewConfig;
import io.grapevine.config.PlumtreeConfig;
import io.grapevine.config.SortedRingConfig;
import java.util.List;
import java.util.Optional;

/**
 * Every protocol config, each under the section name settings use for it. Agent config files and
 * scenario files set a knob as {@code SECTION.KNOB} ({@code kv.syncInterval: 1s}) through these
 * sections; docs/configuration.md lists them all.
 *
 * <table>
 *   <caption>Sections</caption>
 *   <tr><th>section</th><th>config</th></tr>
 *   <tr><td>{@code membership}</td><td>{@link MembershipConfig} (defaults: the {@code lan} profile)</td></tr>
 *   <tr><td>{@code dissemination}</td><td>{@link DisseminationConfig}: user events</td></tr>
 *   <tr><td>{@code kv}</td><td>{@link AntiEntropyConfig}: the replicated key-value store</td></tr>
 *   <tr><td>{@code aggregation}</td><td>{@link AggregationConfig}</td></tr>
 *   <tr><td>{@code hyparview}</td><td>{@link HyParViewConfig}: the partial-view overlay</td></tr>
 *   <tr><td>{@code plumtree}</td><td>{@link PlumtreeConfig}: broadcast over that overlay</td></tr>
 *   <tr><td>{@code ring}</td><td>{@link SortedRingConfig}: the sorted ring of tree aggregation</td></tr>
 *   <tr><td>{@code coordinates}</td><td>{@link CoordinatesConfig}: network coordinates</td></tr>
 *   <tr><td>{@code transport}</td><td>{@link TransportConfig}: UDP and TCP, or TCP only (socket nodes)</td></tr>
 *   <tr><td>{@code encryption}</td><td>{@link EncryptionConfig}: sealed packets (switches, replay protection)</td></tr>
 *   <tr><td>{@code query}</td><td>{@link QueryConfig}: cluster-wide queries</td></tr>
 * </table>
 */
public final class ConfigRegistry {
  /** {@link MembershipConfig}; defaults are {@link MembershipConfig#lan()}. */
  public static final Section<MembershipConfig> MEMBERSHIP = Section.of("membership", MembershipConfig.class,
      MembershipConfig.Builder.class, MembershipConfig::lan, MembershipConfig::toBuilder,
      MembershipConfig.Builder::build);
  /** {@link DisseminationConfig}, how user events spread. */
  public static final Section<DisseminationConfig> DISSEMINATION = Section.of("dissemination",
      DisseminationConfig.class, DisseminationConfig.Builder.class, DisseminationConfig::defaults,
      DisseminationConfig::toBuilder, DisseminationConfig.Builder::build);
  /** {@link AntiEntropyConfig}, the replicated key-value store. */
  public static final Section<AntiEntropyConfig> KV = Section.of("kv", AntiEntropyConfig.class,
      AntiEntropyConfig.Builder.class, AntiEntropyConfig::defaults, AntiEntropyConfig::toBuilder,
      AntiEntropyConfig.Builder::build);
  /** {@link AggregationConfig}. */
  public static final Section<AggregationConfig> AGGREGATION = Section.of("aggregation", AggregationConfig.class,
      AggregationConfig.Builder.class, AggregationConfig::defaults, AggregationConfig::toBuilder,
      AggregationConfig.Builder::build);
  /** {@link HyParViewConfig}. */
  public static final Section<HyParViewConfig> HYPARVIEW = Section.of("hyparview", HyParViewConfig.class,
      HyParViewConfig.Builder.class, HyParViewConfig::defaults, HyParViewConfig::toBuilder,
      HyParViewConfig.Builder::build);
  /** {@link PlumtreeConfig}. */
  public static final Section<PlumtreeConfig> PLUMTREE = Section.of("plumtree", PlumtreeConfig.class,
      PlumtreeConfig.Builder.class, PlumtreeConfig::defaults, PlumtreeConfig::toBuilder,
      PlumtreeConfig.Builder::build);
  /** {@link SortedRingConfig}. */
  public static final Section<SortedRingConfig> RING = Section.of("ring", SortedRingConfig.class,
      SortedRingConfig.Builder.class, SortedRingConfig::defaults, SortedRingConfig::toBuilder,
      SortedRingConfig.Builder::build);

  /** {@link CoordinatesConfig}, network coordinates. */
  public static final Section<CoordinatesConfig> COORDINATES = Section.of("coordinates", CoordinatesConfig.class,
      CoordinatesConfig.Builder.class, CoordinatesConfig::defaults, CoordinatesConfig::toBuilder,
      CoordinatesConfig.Builder::build);

  /** {@link TransportConfig}: what a socket node's datagrams travel as. */
  public static final Section<TransportConfig> TRANSPORT = Section.of("transport", TransportConfig.class,
      TransportConfig.Builder.class, TransportConfig::defaults, TransportConfig::toBuilder,
      TransportConfig.Builder::build);

  /** {@link EncryptionConfig}: what a node with a key does with plaintext, and replay protection. */
  public static final Section<EncryptionConfig> ENCRYPTION = Section.of("encryption", EncryptionConfig.class,
      EncryptionConfig.Builder.class, EncryptionConfig::defaults, EncryptionConfig::toBuilder,
      EncryptionConfig.Builder::build);

  /** {@link QueryConfig}, cluster-wide queries. */
  public static final Section<QueryConfig> QUERY = Section.of("query", QueryConfig.class,
      QueryConfig.Builder.class, QueryConfig::defaults, QueryConfig::toBuilder, QueryConfig.Builder::build);

  private static final List<Section<?>> SECTIONS =
      List.of(MEMBERSHIP, DISSEMINATION, KV, AGGREGATION, HYPARVIEW, PLUMTREE, RING, COORDINATES, TRANSPORT,
          ENCRYPTION, QUERY);

  private ConfigRegistry() {}

  /** Every section, in the order above. */
  public static List<Section<?>> sections() {
    return SECTIONS;
  }

  /** The section names: membership, dissemination, kv, aggregation, hyparview, plumtree, ring, coordinates, transport, encryption, query. */
  public static List<String> names() {
    return SECTIONS.stream().map(Section::name).toList();
  }

  /** The section called {@code name} (exactly, in lower case), if any. */
  public static Optional<Section<?>> find(String name) {
    return SECTIONS.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /**
   * The section called {@code name}.
   *
   * @throws IllegalArgumentException with {@link #unknownSection}'s message
   */
  public static Section<?> section(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException(unknownSection(name)));
  }

  /** The message for a section name that is not known: {@code unknown protocol 'x'; known: membership, ...}. */
  public static String unknownSection(String name) {
    return "unknown protocol '" + name + "'; known: " + String.join(", ", names());
  }
}
