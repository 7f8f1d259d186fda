// SPDX-License-Identifier: Apache-2.0
package io.grapevine.api;

/**
 * Identity of one rumor: the origin node, the origin's epoch (a value that grows across its
 * restarts, so sequence numbers never repeat) and the origin's sequence number within that epoch.
 */
public record RumorId(String origin, long epoch, long seq) {}
