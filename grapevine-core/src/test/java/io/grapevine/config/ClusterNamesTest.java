// SPDX-License-Identifier: Apache-2.0
package io.grapevine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.wire.WireFormat;
import org.junit.jupiter.api.Test;

class ClusterNamesTest {
  @Test
  void theLimitIsTheWireFormats() {
    assertThat(ClusterNames.MAX_BYTES).isEqualTo(WireFormat.MAX_CLUSTER_NAME_BYTES).isEqualTo(64);
    assertThat(ClusterNames.error("x".repeat(64))).isNull();
    assertThat(ClusterNames.error("g")).isNull();
    assertThat(ClusterNames.check("prod")).isEqualTo("prod");
  }

  @Test
  void tooLongEmptyOrMissingIsOneLine() {
    assertThat(ClusterNames.error("x".repeat(65)))
        .isEqualTo("cluster name must be 1..64 UTF-8 bytes (the packet header's limit), got 65");
    // 22 three-byte characters: 66 bytes, though only 22 characters.
    assertThat(ClusterNames.error("€".repeat(22))).endsWith("got 66");
    assertThat(ClusterNames.error("")).endsWith("got 0");
    assertThat(ClusterNames.error(null)).isEqualTo("a cluster name is required");
    assertThatThrownBy(() -> ClusterNames.check("y".repeat(255))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("got 255");
  }
}
