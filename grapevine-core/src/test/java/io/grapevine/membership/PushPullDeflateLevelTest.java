// SPDX-License-Identifier: Apache-2.0
package io.grapevine.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.MemberState;
import io.grapevine.config.MembershipConfig;
import io.grapevine.node.Endpoint;
import io.grapevine.wire.MessageType;
import io.grapevine.wire.PacketWriter;
import io.grapevine.wire.WireFormat;
import java.nio.ByteBuffer;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * Why the default push-pull deflate level is 1: on a member list it gives about the bytes of level 6
 * for a third of the CPU or less (measured in docs/benchmarks.md), and with thousands of members
 * push-pulls are deflated hundreds of times a second during a join or a round of syncs.
 */
class PushPullDeflateLevelTest {
  /** The entries of a push-pull of {@code n} members, named and addressed as a real cluster's. */
  private static byte[] state(int n) {
    PacketWriter w = new PacketWriter(64 + n * 64, "grapevine").begin();
    for (int i = 0; i < n; i++) {
      Endpoint e = Endpoint.of(new byte[] {10, 0, (byte) (i >> 8), (byte) i}, 7946);
      w.beginMessage(MessageType.MEMBER_STATE);
      MembershipMessages.MemberStateEntry.writeBody(w, MemberState.ALIVE, 1 + i % 3, "g" + (26000 + i), e, 1, 1,
          new byte[0]);
      w.endMessage();
    }
    ByteBuffer b = w.finish();
    byte[] all = new byte[b.remaining() - WireFormat.CRC_LENGTH];
    b.get(all);
    return all;
  }

  /** Deflated size of {@code raw} at {@code level}, as a push-pull deflates it (a new stream each time). */
  private static int deflate(byte[] raw, int level) {
    Deflater d = new Deflater(level);
    try {
      d.setInput(raw);
      d.finish();
      byte[] chunk = new byte[8192];
      int n = 0;
      while (!d.finished()) {
        n += d.deflate(chunk);
      }
      return n;
    } finally {
      d.end();
    }
  }

  @Test
  void theDefaultLevelCostsFewBytesMoreThanLevelSix() {
    int level = MembershipConfig.lan().pushPullDeflateLevel;
    // zlib's fast end: its CPU against level 6 is measured in docs/benchmarks.md, not timed here
    assertThat(level).isBetween(1, 2);
    for (int n : new int[] {50, 1_000, 10_000}) {
      byte[] raw = state(n);
      int atDefault = deflate(raw, level);
      int atSix = deflate(raw, 6);
      assertThat(atDefault).as("N = %d: %d bytes at level %d, %d at 6", n, atDefault, level, atSix)
          .isGreaterThan(0).isLessThanOrEqualTo(atSix * 125 / 100);
    }
  }
}
