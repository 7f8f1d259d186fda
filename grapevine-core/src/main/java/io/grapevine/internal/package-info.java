// SPDX-License-Identifier: Apache-2.0
/**
 * Implementation details of Grapevine's protocols (the retransmit-limited broadcast queue, compact
 * tables). Not API: anything under {@code io.grapevine.internal} may change in any release.
 */
package io.grapevine.internal;
