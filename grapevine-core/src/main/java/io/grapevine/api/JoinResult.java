// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

import io.grapevine.node.Endpoint;
import io.grapevine.node.ProtocolEvent;

/**
 * A seed answered a join: its full state was merged.
 *
 * @param seed the seed that answered
 * @param membersLearned how many members its state listed
 */
public record JoinResult(Endpoint seed, int membersLearned) implements ProtocolEvent {}
