// SPDX-License-Identifier: Apache-2.0
package io.grapevine.node;

/** Marker for what a protocol reports to the application (membership changes, user events...). */
public interface ProtocolEvent {}
