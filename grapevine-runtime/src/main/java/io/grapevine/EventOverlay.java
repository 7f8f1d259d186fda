// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import java.util.Locale;

/**
 * How user events ({@link Cluster#events()}) travel. Membership (the member list, failure
 * detection) runs the same either way; only event dissemination changes.
 */
public enum EventOverlay {
  /**
   * The default: events ride on membership gossip to members drawn from the full member list, with
   * digest anti-entropy as a backup. Best for small and medium clusters.
   */
  FULL_MEMBERSHIP("full-membership"),
  /**
   * Events are broadcast with Plumtree over a HyParView partial view (a few neighbors per node
   * instead of every member): about one payload copy per node per event once the tree has formed.
   * For very large clusters; see docs/overlays.md.
   */
  HYPARVIEW_PLUMTREE("hyparview-plumtree");

  private final String configName;

  EventOverlay(String configName) {
    this.configName = configName;
  }

  /** The name used in config files and flags, e.g. {@code hyparview-plumtree}. */
  public String configName() {
    return configName;
  }

  /**
   * Parses a config name (case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static EventOverlay parse(String text) {
    String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    for (EventOverlay o : values()) {
      if (o.configName.equals(t)) {
        return o;
      }
    }
    throw new IllegalArgumentException("unknown overlay '" + text + "' (known: full-membership, hyparview-plumtree)");
  }
}
