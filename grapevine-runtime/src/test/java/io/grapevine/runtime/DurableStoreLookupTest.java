// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.store.MvReplicaStoreProvider;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The durable store is optional: found through ServiceLoader when present, one clear line when not. */
class DurableStoreLookupTest {
  @Test
  void theStoreModuleIsFoundWhenItIsOnTheClasspath() {
    assertThat(KvService.durableStores()).isInstanceOf(MvReplicaStoreProvider.class);
  }

  @Test
  void withoutTheStoreModuleADataDirectoryGetsOneLineSayingWhatToAdd() throws Exception {
    // The runtime, the core and slf4j only: what a library user who left grapevine-store out has.
    URL[] path = {location(KvService.class), location(ReplicaStore.class), location(LoggerFactory.class)};
    try (URLClassLoader bare = new URLClassLoader(path, ClassLoader.getPlatformClassLoader())) {
      Method lookup = bare.loadClass(KvService.class.getName()).getDeclaredMethod("durableStores");
      lookup.setAccessible(true);
      try {
        lookup.invoke(null);
        throw new AssertionError("found a durable store without the store module");
      } catch (InvocationTargetException e) {
        assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
            .hasMessage(KvService.NO_DURABLE_STORE);
        assertThat(KvService.NO_DURABLE_STORE).contains("io.grapevine:grapevine-store").doesNotContain("\n");
      }
    }
  }

  private static URL location(Class<?> c) {
    return c.getProtectionDomain().getCodeSource().getLocation();
  }
}
