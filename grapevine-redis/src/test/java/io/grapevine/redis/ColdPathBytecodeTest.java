// SPDX-License-Identifier: Apache-2.0
package io.grapevine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The classes a failover runs for the first time hold no {@code invokedynamic} string
 * concatenation: the build compiles it to {@code StringBuilder} calls ({@code -XDstringConcat=inline}
 * in the root pom), because linking such call sites on their first run cost the heir's first
 * election tick about 40 ms of CPU, paid by every node in the same second (docs/redis.md).
 */
class ColdPathBytecodeTest {

  private static String classFile(Class<?> c) throws IOException {
    try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
      assertThat(in).as(c.getName()).isNotNull();
      // the constant pool names every bootstrap method the class links; ISO-8859-1 keeps each byte
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void failoverClassesConcatenateWithoutInvokedynamic() throws IOException {
    for (Class<?> c : new Class<?>[] {BusState.class, RedisNode.class, NodeClaim.class, ClusterFormats.class}) {
      String bytes = classFile(c);
      assertThat(bytes).as("%s has string concatenation at all", c.getName()).contains("java/lang/StringBuilder");
      assertThat(bytes).as("%s links string concatenation at run time", c.getName())
          .doesNotContain("makeConcatWithConstants").doesNotContain("StringConcatFactory");
    }
  }
}
