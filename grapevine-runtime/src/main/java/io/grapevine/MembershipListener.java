// SPDX-License-Identifier: Apache-2.0
package io.grapevine;

import io.grapevine.api.MemberEvent;
import io.grapevine.api.NameConflict;

/** Receives membership changes. Runs on the event-loop thread: keep it short and non-blocking. */
@FunctionalInterface
public interface MembershipListener {
  void onMemberEvent(MemberEvent event);

  /** Two nodes claim one name; the default does nothing (the runtime logs it). */
  default void onNameConflict(NameConflict conflict) {}
}
