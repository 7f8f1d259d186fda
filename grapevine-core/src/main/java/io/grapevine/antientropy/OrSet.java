// SPDX-License-Identifier: Apache-2.0
package io.grapevine.antientropy;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An observed-remove set CRDT (add wins). Each add carries a unique {@link Tag}; a remove retires the
 * tags its replica has observed for the element. An element is present while it has a tag not
 * retired, so an add concurrent with a remove survives. Merge is the union of adds and of retired
 * tags; the state is kept normalised (retired tags removed from the adds), which keeps its encoding
 * canonical. Retired tags are kept until the key is deleted, which starts a new generation of the
 * key and drops them. Immutable.
 */
public final class OrSet {
  /** The set nobody has touched. */
  public static final OrSet EMPTY = new OrSet(new TreeMap<>(), new TreeSet<>());

  private final SortedMap<String, SortedSet<Tag>> adds;
  private final SortedSet<Tag> removed;

  private OrSet(TreeMap<String, SortedSet<Tag>> adds, TreeSet<Tag> removed) {
    this.adds = Collections.unmodifiableSortedMap(adds);
    this.removed = Collections.unmodifiableSortedSet(removed);
  }

  /**
   * A set from its parts (copied): live tags per element and retired tags. Normalises: retired tags
   * are dropped from the adds, elements left without tags disappear.
   */
  public static OrSet of(Map<String, ? extends java.util.Collection<Tag>> adds, java.util.Collection<Tag> removed) {
    TreeSet<Tag> r = new TreeSet<>(removed);
    TreeMap<String, SortedSet<Tag>> a = new TreeMap<>();
    for (Map.Entry<String, ? extends java.util.Collection<Tag>> e : adds.entrySet()) {
      TreeSet<Tag> tags = new TreeSet<>(e.getValue());
      tags.removeAll(r);
      if (!tags.isEmpty()) {
        a.put(e.getKey(), Collections.unmodifiableSortedSet(tags));
      }
    }
    return new OrSet(a, r);
  }

  /** Present elements, in order. */
  public NavigableSet<String> elements() {
    return Collections.unmodifiableNavigableSet(new TreeSet<>(adds.keySet()));
  }

  public boolean contains(String element) {
    return adds.containsKey(element);
  }

  /** This set with {@code element} added under a fresh {@code tag}. */
  public OrSet add(String element, Tag tag) {
    if (removed.contains(tag)) {
      return this; // already retired (tags are fresh in practice; keeps the state normalised)
    }
    TreeMap<String, SortedSet<Tag>> a = new TreeMap<>(adds);
    TreeSet<Tag> tags = new TreeSet<>(adds.getOrDefault(element, Collections.emptySortedSet()));
    tags.add(tag);
    a.put(element, Collections.unmodifiableSortedSet(tags));
    return new OrSet(a, new TreeSet<>(removed));
  }

  /** This set with every observed tag of {@code element} retired; unchanged if absent. */
  public OrSet remove(String element) {
    SortedSet<Tag> tags = adds.get(element);
    if (tags == null) {
      return this;
    }
    TreeMap<String, SortedSet<Tag>> a = new TreeMap<>(adds);
    a.remove(element);
    TreeSet<Tag> r = new TreeSet<>(removed);
    r.addAll(tags);
    return new OrSet(a, r);
  }

  /** The least upper bound: union of adds and of retired tags, normalised. */
  public static OrSet merge(OrSet x, OrSet y) {
    if (x.adds.isEmpty() && x.removed.isEmpty()) {
      return y;
    }
    if (y.adds.isEmpty() && y.removed.isEmpty()) {
      return x;
    }
    TreeSet<Tag> r = new TreeSet<>(x.removed);
    r.addAll(y.removed);
    TreeMap<String, TreeSet<Tag>> a = new TreeMap<>();
    for (OrSet s : new OrSet[] {x, y}) {
      for (Map.Entry<String, SortedSet<Tag>> e : s.adds.entrySet()) {
        a.computeIfAbsent(e.getKey(), k -> new TreeSet<>()).addAll(e.getValue());
      }
    }
    return of(a, r);
  }

  /** Live tags per element, read-only. */
  public SortedMap<String, SortedSet<Tag>> adds() {
    return adds;
  }

  /** Retired tags, read-only. */
  public SortedSet<Tag> removed() {
    return removed;
  }

  public boolean isEmpty() {
    return adds.isEmpty() && removed.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OrSet s && s.adds.equals(adds) && s.removed.equals(removed);
  }

  @Override
  public int hashCode() {
    return adds.hashCode() * 31 + removed.hashCode();
  }

  @Override
  public String toString() {
    return "OrSet" + adds.keySet();
  }
}
