package io.grapevine.node;

import java.util.List;

/** Shared bookkeeping for hosts of {@link Extension}s. */
public final class Extensions {
  private Extensions() {}

  /** The extension owning {@code typeCode}, or null. */
  public static Extension ownerOf(List<Extension> extensions, byte typeCode) {
    int code = typeCode & 0xff;
    for (int i = 0; i < extensions.size(); i++) {
      Extension e = extensions.get(i);
      if (code >= e.firstType() && code <= e.lastType()) {
        return e;
      }
    }
    return null;
  }

  /** Throws if {@code candidate}'s type range overlaps an attached extension's. */
  public static void checkNoOverlap(List<Extension> extensions, Extension candidate) {
    if (candidate.firstType() > candidate.lastType()) {
      throw new IllegalArgumentException("empty type range " + candidate.firstType() + ".." + candidate.lastType());
    }
    for (Extension e : extensions) {
      if (candidate.firstType() <= e.lastType() && e.firstType() <= candidate.lastType()) {
        throw new IllegalArgumentException(candidate.getClass().getSimpleName() + " type range overlaps "
            + e.getClass().getSimpleName());
      }
    }
  }

  /** Calls {@link Extension#onPacketEnd} once for each distinct extension in {@code owners}. */
  public static void packetEnd(List<Extension> owners, long now, Endpoint from, Delivery delivery, Outbox out) {
    for (int i = 0; i < owners.size(); i++) {
      Extension e = owners.get(i);
      if (e == null) {
        continue;
      }
      boolean seen = false;
      for (int j = 0; j < i; j++) {
        if (owners.get(j) == e) {
          seen = true;
          break;
        }
      }
      if (!seen) {
        e.onPacketEnd(now, from, delivery, out);
      }
    }
  }
}
