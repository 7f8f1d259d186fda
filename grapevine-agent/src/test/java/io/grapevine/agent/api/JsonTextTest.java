// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grapevine.api.MemberState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The agent's own JSON text must read exactly as the data-binding library wrote it before. */
class JsonTextTest {
  private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private static void sameAsJackson(Object value) throws Exception {
    assertThat(JsonText.pretty(value)).isEqualTo(PRETTY.writeValueAsString(value));
    assertThat(JsonText.compact(value)).isEqualTo(COMPACT.writeValueAsString(value));
  }

  @Test
  void scalarsAsJacksonWritesThem() throws Exception {
    for (Object v : Arrays.asList(null, "", "plain", 0, -7, Long.MAX_VALUE, 1.5, 0.1, 1e300, -0.0, 3.0f,
        Double.NaN, Double.POSITIVE_INFINITY, true, false, MemberState.SUSPECT, new byte[] {1, 2, 3, -1})) {
      sameAsJackson(v);
    }
  }

  @Test
  void stringsAreEscapedAsJacksonEscapesThem() throws Exception {
    sameAsJackson("quote \" backslash \\ slash / newline \n tab \t cr \r bell \u0007 nul \u0000 del \u007f");
    sameAsJackson("unicode é 漢字 \uD83D\uDE00 line\u2028sep");
  }

  @Test
  void nestedObjectsAndArraysAreLaidOutTheSame() throws Exception {
    Map<String, Object> member = new LinkedHashMap<>();
    member.put("name", "a");
    member.put("metadata", Map.of());
    member.put("tags", List.of());
    member.put("incarnation", 12L);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("local", "a");
    body.put("members", List.of(member, new LinkedHashMap<>(member)));
    body.put("numbers", List.of(1, 2, 3));
    body.put("nested", List.of(List.of(1, List.of()), Map.of("k", List.of(Map.of("x", 1)))));
    body.put("nothing", null);
    Map<MemberState, Long> counts = new EnumMap<>(MemberState.class);
    counts.put(MemberState.ALIVE, 3L);
    counts.put(MemberState.DEAD, 0L);
    body.put("counts", counts);
    body.put("array", new Object[] {"x", 2});
    sameAsJackson(body);
    sameAsJackson(List.of());
    sameAsJackson(Map.of());
    sameAsJackson(new ArrayList<>(List.of(body)));
  }

  @Test
  void jsonTreesStillGoThroughTheMapperWithTheSameLayout() throws Exception {
    Object tree = PRETTY.readTree("{\"a\":[1,{\"b\":null}],\"c\":{}}");
    assertThat(Json.write(tree)).isEqualTo(PRETTY.writeValueAsString(tree));
    assertThat(Json.write(Map.of("tree", tree))).isEqualTo(PRETTY.writeValueAsString(Map.of("tree", tree)));
  }

  @Test
  void anUnknownTypeIsRefusedRatherThanGuessed() {
    assertThatThrownBy(() -> JsonText.pretty(Map.of("x", new Object())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Object");
  }
}
