// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class NodeClaimTest {
  static final String A = "a".repeat(40);
  static final String B = "b".repeat(40);

  @Test
  void roundTripsThroughMetadata() {
    BitSet s = new BitSet();
    s.set(0, 5461);
    s.set(7000);
    s.set(16383);
    NodeClaim c = new NodeClaim(A, 7000, true, null, 3, 5, 42, s);
    assertThat(new String(c.encode(), StandardCharsets.US_ASCII))
        .isEqualTo("r1 " + A + " 7000 primary - 3 5 42 0-5460,7000,16383");
    assertThat(NodeClaim.decode(c.encode())).isEqualTo(c);
    NodeClaim r = new NodeClaim(B, 7001, false, A, 0, 5, 7, new BitSet());
    assertThat(NodeClaim.decode(r.encode())).isEqualTo(r);
  }

  @Test
  void foreignOrDamagedMetadataIsNoClaim() {
    assertThat(NodeClaim.decode(new byte[0])).isNull();
    assertThat(NodeClaim.decode("role=seed".getBytes(StandardCharsets.US_ASCII))).isNull();
    assertThat(NodeClaim.decode(("r1 " + A + " 7000 primary - 3 5 42 9-2").getBytes(StandardCharsets.US_ASCII))).isNull();
    assertThat(NodeClaim.decode(("r1 " + A + " 7000 primary - 3 5 42 0-16384").getBytes(StandardCharsets.US_ASCII))).isNull();
    assertThat(NodeClaim.decode(("r1 xyz 7000 primary - 3 5 42 -").getBytes(StandardCharsets.US_ASCII))).isNull();
    assertThat(NodeClaim.decode(("r1 " + A + " 7000 replica zz 3 5 42 -").getBytes(StandardCharsets.US_ASCII))).isNull();
  }

  @Test
  void idsAreFortyHexCharacters() {
    assertThat(NodeClaim.isNodeId(A)).isTrue();
    assertThat(NodeClaim.isNodeId("A".repeat(40))).isFalse();
    assertThat(NodeClaim.isNodeId("a".repeat(39))).isFalse();
    assertThatThrownBy(() -> new NodeClaim("x", 1, true, null, 0, 0, 0, new BitSet()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
