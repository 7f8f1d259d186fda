// SPDX-License-Identifier: Apache-2.0
package io.grapevine.coordinates;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.api.Coordinate;
import io.grapevine.api.MemberState;
import io.grapevine.config.CoordinatesConfig;
import io.grapevine.config.MembershipConfig;
import io.grapevine.membership.Membership;
import io.grapevine.node.Delivery;
import io.grapevine.testkit.GeometricLatency;
import io.grapevine.testkit.StackCluster;
import io.grapevine.wire.DropReason;
import io.grapevine.wire.PacketWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class CoordinatesTest {
  private static final String CLUSTER = "coords";

  /** n nodes with membership (and coordinates where {@code withCoordinates} says), joined through node 0. */
  static StackCluster cluster(int n, long seed, GeometricLatency latency, CoordinatesConfig config,
      IntPredicate withCoordinates) {
    MembershipConfig m = MembershipConfig.lan();
    StackCluster c = StackCluster.builder(seed).clusterName(CLUSTER).latency(latency).build(n, (node, b) -> {
      b.datagramBytes(m.udpPayloadBytes).streamMessageMaxBytes(m.streamMessageMaxBytes)
          .add(new Membership(CLUSTER, node.name(), node.endpoint(), 1, new byte[0], m, node.random("membership")));
      if (withCoordinates.test(node.index())) {
        b.add(new Coordinates(config, node.random(Coordinates.PROTOCOL_NAME)));
      }
    });
    for (int i = 1; i < n; i++) {
      int k = i;
      c.call(k, (now, out) -> c.protocol(k, Membership.class).join(now, List.of(c.endpoint(0)), out));
    }
    return c;
  }

  /** Median over ordered pairs (i, j) of |estimate - truth| / truth, each node estimating from what it holds. */
  static double medianRelativeError(StackCluster c, GeometricLatency truth, int n) {
    List<Double> errors = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Coordinates ci = c.protocol(i, Coordinates.class);
      for (int j = 0; j < n; j++) {
        if (i == j) {
          continue;
        }
        double est = ci.estimateRttMillis(c.stack(i).name(), c.stack(j).name());
        if (Double.isNaN(est)) {
          errors.add(Double.POSITIVE_INFINITY); // unknown counts as wrong
          continue;
        }
        double t = truth.rttMillis(i, j);
        errors.add(Math.abs(est - t) / t);
      }
    }
    Collections.sort(errors);
    return errors.get(errors.size() / 2);
  }

  @Test
  void estimatesConvergeWithinTheVivaldiPapersErrorOnAGeometricNetwork() {
    int n = 50;
    GeometricLatency latency = new GeometricLatency(n, 7, 120, 1, 10, 1);
    StackCluster c = cluster(n, 42, latency, CoordinatesConfig.defaults(), i -> true);
    c.runFor(20_000);
    double early = medianRelativeError(c, latency, n);
    c.runFor(280_000);
    double settled = medianRelativeError(c, latency, n);
    // The Vivaldi paper reports about 11% median relative error on its King data set.
    assertThat(settled).isLessThan(0.11);
    assertThat(settled).isLessThan(early);
    for (int i = 0; i < n; i++) {
      Coordinates ci = c.protocol(i, Coordinates.class);
      assertThat(ci.samples()).isGreaterThan(100);
      assertThat(ci.resets()).isZero();
      assertThat(ci.coordinates()).hasSize(n);
    }
  }

  @Test
  void theSameSeedGivesTheSameCoordinates() {
    int n = 12;
    GeometricLatency latency = new GeometricLatency(n, 3, 80, 1, 5, 1);
    StackCluster a = cluster(n, 9, latency, CoordinatesConfig.defaults(), i -> true);
    StackCluster b = cluster(n, 9, latency, CoordinatesConfig.defaults(), i -> true);
    a.runFor(30_000);
    b.runFor(30_000);
    for (int i = 0; i < n; i++) {
      assertThat(a.protocol(i, Coordinates.class).coordinate()).isEqualTo(b.protocol(i, Coordinates.class).coordinate());
    }
  }

  @Test
  void nodesWithoutCoordinatesInterworkAndTeachNothing() {
    int n = 6;
    GeometricLatency latency = new GeometricLatency(n, 5, 50, 1, 5, 0);
    StackCluster c = cluster(n, 11, latency, CoordinatesConfig.defaults(), i -> i % 2 == 0);
    c.runFor(60_000);
    for (int i = 0; i < n; i++) {
      assertThat(c.protocol(i, Membership.class).members()).filteredOn(m -> m.state() == MemberState.ALIVE)
          .hasSize(n);
    }
    Coordinates c0 = c.protocol(0, Coordinates.class);
    // Only the even nodes answer with a coordinate.
    assertThat(c0.coordinates().keySet()).containsExactlyInAnyOrder("n0", "n2", "n4");
    assertThat(c0.estimateRttMillis("n0", "n1")).isNaN();
    assertThat(c0.estimateRttMillis("n0", "n2")).isPositive();
  }

  @Test
  void aDeadPeerIsForgotten() {
    int n = 5;
    GeometricLatency latency = new GeometricLatency(n, 5, 50, 1, 5, 0);
    StackCluster c = cluster(n, 13, latency, CoordinatesConfig.defaults(), i -> true);
    c.runFor(30_000);
    assertThat(c.protocol(0, Coordinates.class).coordinateOf("n4")).isNotNull();
    c.crash(4);
    c.runFor(60_000);
    assertThat(c.protocol(0, Membership.class).member("n4").state()).isIn(MemberState.DEAD);
    assertThat(c.protocol(0, Coordinates.class).coordinateOf("n4")).isNull();
  }

  @Test
  void aCoordinateThatIsNotFiniteIsDroppedAndCounted() {
    int n = 2;
    GeometricLatency latency = new GeometricLatency(n, 5, 50, 1, 5, 0);
    StackCluster c = cluster(n, 17, latency, CoordinatesConfig.defaults(), i -> true);
    c.runFor(5_000);
    Coordinate before = c.protocol(0, Coordinates.class).coordinate();
    long dropped = c.stack(0).stats().dropped(DropReason.BAD_FIELD);
    PacketWriter w = new PacketWriter(200, CLUSTER).begin();
    w.beginMessage(Coordinates.COORDINATE).putByte(2).putInt(Float.floatToIntBits(Float.NaN)).putInt(0)
        .putInt(0).putInt(0).putInt(0);
    w.endMessage();
    c.node(0).deliverNow(c.endpoint(1), w.finish(), Delivery.DATAGRAM);
    assertThat(c.stack(0).stats().dropped(DropReason.BAD_FIELD)).isEqualTo(dropped + 1);
    assertThat(c.protocol(0, Coordinates.class).coordinate()).isEqualTo(before);
  }

  @Test
  void configRefusesBadValuesWithOneLine() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CoordinatesConfig.Builder().dimensions(0).build())
        .hasMessage("dimensions must be 1..16, got 0");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CoordinatesConfig.Builder().moveGain(1.5).build())
        .hasMessage("moveGain must be in (0, 1], got 1.5");
  }
}
