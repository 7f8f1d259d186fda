// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grapevine.agent.MemberSnapshot.Entry;
import io.grapevine.api.Member;
import io.grapevine.api.MemberState;
import io.grapevine.node.Endpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemberSnapshotTest {
  @TempDir Path dir;

  private static Member member(String name, int port, MemberState state) {
    return new Member(name, Endpoint.ipv4(0x7f000001, port), state, 1, new byte[0], 1, 1, 0);
  }

  @Test
  void keepsAliveSuspectAndDeadMembersButNotThoseThatLeftNorItself() {
    MemberSnapshot s = MemberSnapshot.empty().merge(List.of(
        member("self", 7000, MemberState.ALIVE),
        member("a", 7001, MemberState.ALIVE),
        member("s", 7002, MemberState.SUSPECT),
        member("d", 7003, MemberState.DEAD),
        member("l", 7004, MemberState.LEFT)), "self", 1000);
    assertThat(s.entries()).containsExactly(
        new Entry("a", "127.0.0.1:7001", true, 1000),
        new Entry("s", "127.0.0.1:7002", true, 1000),
        new Entry("d", "127.0.0.1:7003", false, 1000));
  }

  @Test
  void aMemberThatLeavesLaterIsDroppedAndOneForgottenIsKept() {
    MemberSnapshot s = MemberSnapshot.empty().merge(List.of(
        member("a", 7001, MemberState.ALIVE), member("b", 7002, MemberState.ALIVE),
        member("c", 7003, MemberState.ALIVE)), "self", 1000);
    // b leaves; c is declared dead; a is no longer listed at all (membership reaped it).
    s = s.merge(List.of(member("b", 7002, MemberState.LEFT), member("c", 7003, MemberState.DEAD)), "self", 5000);
    assertThat(s.entries()).containsExactly(
        new Entry("a", "127.0.0.1:7001", true, 1000),
        new Entry("c", "127.0.0.1:7003", false, 1000));
    // A restarted member comes back alive under a new address.
    s = s.merge(List.of(member("c", 7005, MemberState.ALIVE)), "self", 9000);
    assertThat(s.entries()).first().isEqualTo(new Entry("c", "127.0.0.1:7005", true, 9000));
  }

  @Test
  void sizeIsBoundedKeepingTheMostRecentlyAlive() {
    List<Member> many = new ArrayList<>();
    for (int i = 0; i < MemberSnapshot.MAX_ENTRIES + 100; i++) {
      many.add(member("n" + i, 10_000 + i, MemberState.DEAD));
    }
    MemberSnapshot s = MemberSnapshot.empty().merge(many, "self", 1000);
    s = s.merge(List.of(member("late", 9999, MemberState.ALIVE)), "self", 2000);
    assertThat(s.entries()).hasSize(MemberSnapshot.MAX_ENTRIES);
    assertThat(s.entries().get(0).name()).isEqualTo("late");
  }

  @Test
  void rejoinTargetsPreferLiveMembersAndSkipSelfAndRepeatedAddresses() {
    MemberSnapshot s = new MemberSnapshot(List.of(
        new Entry("old-dead", "127.0.0.1:1", false, 100),
        new Entry("new-dead", "127.0.0.1:2", false, 900),
        new Entry("alive", "127.0.0.1:3", true, 500),
        new Entry("renamed", "127.0.0.1:3", true, 400),
        new Entry("me-before", "127.0.0.1:9", true, 800),
        new Entry("me", "127.0.0.1:4", true, 800)));
    assertThat(s.rejoinTargets("me", "127.0.0.1:9", 10))
        .containsExactly("127.0.0.1:3", "127.0.0.1:2", "127.0.0.1:1");
    assertThat(s.rejoinTargets("me", "127.0.0.1:9", 2)).containsExactly("127.0.0.1:3", "127.0.0.1:2");
  }

  @Test
  void roundTripsThroughTheFileFormatWithAnyName() {
    MemberSnapshot s = new MemberSnapshot(List.of(
        new Entry("web 1\nline two", "[fd00::5]:7946", true, 123),
        new Entry("ä%b", "10.0.0.1:7946", false, 45)));
    assertThat(MemberSnapshot.decode(s.encode())).isEqualTo(s);
    assertThat(s.encode().lines()).hasSize(3);
  }

  @Test
  void badFilesNameTheLine() {
    assertThatThrownBy(() -> MemberSnapshot.decode("something else\n")).hasMessageStartingWith("line 1:");
    assertThatThrownBy(() -> MemberSnapshot.decode(MemberSnapshot.HEADER + "\na 127.0.0.1:1 maybe 5\n"))
        .hasMessageStartingWith("line 2:");
    assertThatThrownBy(() -> MemberSnapshot.decode(MemberSnapshot.HEADER + "\na nowhere alive 5\n"))
        .hasMessageStartingWith("line 2:");
  }

  @Test
  void aMissingOrUnreadableFileGivesAnEmptySnapshot() throws Exception {
    assertThat(SnapshotKeeper.load(dir).entries()).isEmpty();
    Files.writeString(dir.resolve(SnapshotKeeper.FILE_NAME), "garbage");
    assertThat(SnapshotKeeper.load(dir).entries()).isEmpty();
  }

  @Test
  void writesReplaceTheFileWhole() throws Exception {
    MemberSnapshot s = new MemberSnapshot(List.of(new Entry("a", "127.0.0.1:1", true, 1)));
    Path f = dir.resolve("sub").resolve(SnapshotKeeper.FILE_NAME);
    SnapshotKeeper.writeAtomically(f, MemberSnapshot.empty().encode() + "x".repeat(10_000));
    SnapshotKeeper.writeAtomically(f, s.encode());
    assertThat(SnapshotKeeper.load(f.getParent())).isEqualTo(s);
    try (var files = Files.list(f.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(SnapshotKeeper.FILE_NAME);
    }
  }
}
