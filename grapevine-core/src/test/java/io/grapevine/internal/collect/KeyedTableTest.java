// SPDX-License-Identifier: Apache-2.0
package io.grapevine.internal.collect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyedTableTest {
  private record Item(String name, int value) {}

  /** Random puts, replacements and removals over a small key space (many collisions and runs), checked against HashMap. */
  @Test
  void behavesLikeAHashMap() {
    for (long seed = 1; seed <= 200; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      KeyedTable<Item> table = new KeyedTable<>(Item::name);
      Map<String, Item> reference = new HashMap<>();
      int keys = 1 + random.nextInt(300);
      for (int op = 0; op < 3000; op++) {
        String key = "n" + random.nextInt(keys);
        int kind = random.nextInt(10);
        if (kind < 5) {
          Item item = new Item(key, op);
          assertThat(table.put(item)).as("seed %d op %d put", seed, op).isEqualTo(reference.put(key, item));
        } else if (kind < 8) {
          assertThat(table.remove(key)).as("seed %d op %d remove", seed, op).isEqualTo(reference.remove(key));
        } else {
          assertThat(table.get(key)).as("seed %d op %d get", seed, op).isEqualTo(reference.get(key));
        }
        assertThat(table.size()).as("seed %d op %d size", seed, op).isEqualTo(reference.size());
      }
      for (String key : reference.keySet()) {
        assertThat(table.get(key)).as("seed %d final %s", seed, key).isEqualTo(reference.get(key));
      }
      List<Item> iterated = new ArrayList<>();
      table.forEach(iterated::add);
      assertThat(iterated).as("seed %d iteration", seed).containsExactlyInAnyOrderElementsOf(reference.values());
    }
  }

  /** A key whose hash code is chosen: many distinct keys share one, and so the slot tag. */
  private record Key(int id, int hash) {
    @Override
    public int hashCode() {
      return hash;
    }
  }

  private record Keyed(Key key, int value) {}

  /**
   * Keys that share hash codes (equal tags, the value itself must be compared) and a table grown
   * past 2^16 slots (where a tag no longer gives the home slot) and shrunk by removals, checked
   * against HashMap.
   */
  @Test
  void collidingTagsAndLargeTablesBehaveLikeAHashMap() {
    SplittableRandom random = new SplittableRandom(7);
    KeyedTable<Keyed> table = new KeyedTable<>(Keyed::key);
    Map<Key, Keyed> reference = new HashMap<>();
    for (int id = 0; id < 100_000; id++) {
      // A fifth of the keys share one of 50 hash codes; the others are spread.
      Key key = new Key(id, random.nextInt(5) == 0 ? random.nextInt(50) : random.nextInt());
      Keyed value = new Keyed(key, id);
      assertThat(table.put(value)).isEqualTo(reference.put(key, value));
    }
    List<Key> keys = new ArrayList<>(reference.keySet());
    for (int i = 0; i < keys.size(); i += 2) {
      assertThat(table.remove(keys.get(i))).as("remove %s", keys.get(i)).isEqualTo(reference.remove(keys.get(i)));
    }
    assertThat(table.size()).isEqualTo(reference.size());
    for (Key key : keys) {
      assertThat(table.get(key)).as("get %s", key).isEqualTo(reference.get(key));
    }
    assertThat(table.get(new Key(-1, 7))).isNull();
  }

  @Test
  void missingNamesAreAbsent() {
    KeyedTable<Item> table = new KeyedTable<>(Item::name);
    assertThat(table.get("a")).isNull();
    assertThat(table.remove("a")).isNull();
    table.put(new Item("a", 1));
    assertThat(table.containsKey("a")).isTrue();
    assertThat(table.containsKey("b")).isFalse();
    assertThat(table.iterator().hasNext()).isTrue();
  }

  /**
   * {@code forEachNear} finds every value of a hash prefix, at every prefix width and table size,
   * after puts and removals (probe runs that spill into the next prefix, or wrap past the end), and
   * visits few others.
   */
  @Test
  void forEachNearVisitsEveryValueOfAPrefix() {
    for (long seed = 1; seed <= 40; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      KeyedTable<Item> table = new KeyedTable<>(Item::name);
      Map<String, Item> reference = new HashMap<>();
      int keys = 1 + random.nextInt(2_000);
      for (int op = 0; op < 4_000; op++) {
        String key = "m" + random.nextInt(keys);
        if (random.nextInt(4) == 0) {
          table.remove(key);
          reference.remove(key);
        } else {
          Item item = new Item(key, op);
          table.put(item);
          reference.put(key, item);
        }
      }
      for (int bits = 0; bits <= 12; bits += 3) {
        int visited = 0;
        for (int prefix = 0; prefix < 1 << bits; prefix++) {
          int p = prefix;
          int b = bits;
          List<Item> seen = new ArrayList<>();
          table.forEachNear(prefix, bits, seen::add);
          visited += seen.size();
          List<Item> expected = reference.values().stream().filter(i -> KeyedTable.hashPrefix(i.name(), b) == p).toList();
          assertThat(seen).as("seed %d bits %d prefix %d", seed, bits, prefix).containsAll(expected);
        }
        // Each value is visited for its own prefix, and for a neighbour's only when its run spills.
        // A scan of the whole table per prefix would visit size × 2^bits.
        assertThat(visited).as("seed %d bits %d", seed, bits).isLessThanOrEqualTo(2 * reference.size() + 4 * (1 << bits));
      }
    }
  }
}
