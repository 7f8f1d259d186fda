// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {
  @Test
  void padsColumnsToTheWidestCellWithoutTrailingBlanks() {
    String t = Table.format(List.of("A", "BB", "C"), List.of(List.of("long-cell", "x", ""), List.of("y", "zzz", "w")));
    assertThat(t).isEqualTo(
        "A          BB   C\n"
            + "long-cell  x\n"
            + "y          zzz  w\n");
  }

  @Test
  void rowsMustMatchTheHeader() {
    assertThatThrownBy(() -> Table.format(List.of("A"), List.of(List.of("1", "2"))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void membersTableFromApiJson() throws Exception {
    String json = "[{\"name\":\"n1\",\"address\":\"127.0.0.1:7946\",\"state\":\"alive\",\"incarnation\":5,"
        + "\"metadata\":{\"role\":\"web\",\"zone\":\"a\"}},"
        + "{\"name\":\"node-2\",\"address\":\"[::1]:7947\",\"state\":\"dead\",\"incarnation\":12,"
        + "\"metadata\":{},\"metadataBase64\":\"/wA=\"}]";
    String t = ClientCommands.membersTable(new ObjectMapper().readTree(json));
    assertThat(t.lines().toList()).containsExactly(
        "NAME    ADDRESS         STATE  INCARNATION  TAGS",
        "n1      127.0.0.1:7946  alive  5            role=web,zone=a",
        "node-2  [::1]:7947      dead   12           base64:/wA=");
  }
}
