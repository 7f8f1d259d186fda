// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import java.util.Objects;

/**
 * One knob setting as read from somewhere, before it is checked.
 *
 * @param key the knob: {@code syncInterval} or {@code sync-interval} within a known section, {@code
 *     kv.syncInterval} where the section is part of the key ({@link ProtocolConfigs#apply})
 * @param value the value as written
 * @param source where it was written, the start of every error about it: {@code agent.yaml:12},
 *     {@code --set}
 */
public record Setting(String key, String value, String source) {
  /** Checks that no part is null. */
  public Setting {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(source, "source");
  }
}
