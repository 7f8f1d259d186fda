// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.io.PrintStream;

/** A one-line progress bar redrawn in place on a terminal (stderr), at most twice a second. */
public final class ProgressBar implements Simulation.Progress {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private boolean drawn;

  public ProgressBar(PrintStream out) {
    this.out = out;
  }

  @Override
  public void update(double fraction, String status) {
    int filled = (int) Math.round(fraction * WIDTH);
    StringBuilder b = new StringBuilder("\r[");
    for (int i = 0; i < WIDTH; i++) {
      b.append(i < filled ? '#' : '.');
    }
    long s = (System.nanoTime() - startNanos) / 1_000_000_000L;
    b.append(String.format("] %3d%% %ds  %s", Math.round(fraction * 100), s, status));
    b.append("\u001b[K");
    out.print(b);
    out.flush();
    drawn = true;
  }

  @Override
  public void done() {
    if (drawn) {
      out.print("\r\u001b[K");
      out.flush();
    }
  }
}
