// SPDX-License-Identifier: Apache-2.0
package io.grapevine.assembly;

import io.grapevine.config.ProtocolConfigs;
import io.grapevine.stack.Protocol;
import java.util.List;
import java.util.function.Function;

/**
 * Builds one protocol of a node from the node's setup and configs: an entry of a {@link
 * ProtocolRegistry}, so the runtime, the simulator and scenario files can name the protocol.
 */
public interface ProtocolFactory {
  /** The protocol's name on the stack (its {@link Protocol#protocolName()}). */
  String name();

  /** Protocols this one is built on, which must be on the stack before it (plumtree: hyparview). */
  default List<String> requires() {
    return List.of();
  }

  /**
   * A new instance for one node.
   *
   * @param earlier the node's protocols built so far, by name (those of {@link #requires()} among them)
   */
  Protocol<?> create(NodeSetup node, ProtocolConfigs configs, Function<String, Protocol<?>> earlier);

  /** A factory from a name, its requirements and a function. */
  static ProtocolFactory of(String name, List<String> requires, Creator creator) {
    return new ProtocolFactory() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<String> requires() {
        return requires;
      }

      @Override
      public Protocol<?> create(NodeSetup node, ProtocolConfigs configs, Function<String, Protocol<?>> earlier) {
        return creator.create(node, configs, earlier);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /** The creating function of {@link #of}. */
  @FunctionalInterface
  interface Creator {
    Protocol<?> create(NodeSetup node, ProtocolConfigs configs, Function<String, Protocol<?>> earlier);
  }
}
