// SPDX-License-Identifier: Apache-2.0
/**
 * A test kit for Grapevine protocols: a deterministic in-memory network of protocol stacks with a
 * virtual clock ({@link io.grapevine.testkit.VirtualNetwork}), a helper that builds and starts N
 * stacks on one ({@link io.grapevine.testkit.StackCluster}), and a standalone {@link
 * io.grapevine.testkit.FakeClock}.
 *
 * <p>Everything is seeded and single-threaded: a test that uses the kit is a pure function of its
 * seeds, and never sleeps.
 */
package io.grapevine.testkit;
