// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;

/**
 * Two live nodes claim the same name from different addresses. The existing member is kept; the
 * operator must rename one. Reported once per claimed address.
 *
 * @param name the contested name
 * @param existing the address this node knows for it
 * @param claimant the other address claiming it
 */
public record NameConflict(String name, Endpoint existing, Endpoint claimant) implements ProtocolEvent {}
