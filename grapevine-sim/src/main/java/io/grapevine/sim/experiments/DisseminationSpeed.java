// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim.experiments;

import io.grapevine.config.DisseminationConfig;
import io.grapevine.config.DisseminationConfig.Mode;
import io.grapevine.config.DisseminationConfig.Stop;
import java.util.Arrays;
import java.util.Locale;

/**
 * Rounds for one rumor to reach every node at large N (push-pull over uniform random peers), as a
 * distribution over seeds, and payload copies per node.
 *
 * <pre>DisseminationSpeed --nodes 100000 --seeds 20 [--k 8] [--feedback true] [--stop counter] [--driver events|rounds]
 *                    [--budget-seconds 900]</pre>
 *
 * <p>{@code --driver events} (the default): unsynchronised rounds on the event engine; {@code rounds}:
 * synchronous rounds ({@link RoundDriver}).
 */
public final class DisseminationSpeed {
  private DisseminationSpeed() {}

  public static void main(String[] args) {
    int n = 100_000;
    int seeds = 20;
    int k = 8;
    boolean feedback = true;
    Stop stop = Stop.COUNTER;
    Mode mode = Mode.PUSH_PULL;
    long budgetSeconds = 900;
    String driver = "events";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--seeds" -> seeds = Integer.parseInt(args[++i]);
        case "--k" -> k = Integer.parseInt(args[++i]);
        case "--feedback" -> feedback = Boolean.parseBoolean(args[++i]);
        case "--stop" -> stop = Stop.valueOf(args[++i].toUpperCase(Locale.ROOT));
        case "--mode" -> mode = Mode.valueOf(args[++i].toUpperCase(Locale.ROOT));
        case "--budget-seconds" -> budgetSeconds = Long.parseLong(args[++i]);
        case "--driver" -> driver = args[++i];
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!driver.equals("rounds") && !driver.equals("events")) {
      throw new IllegalArgumentException("--driver must be rounds or events, got " + driver);
    }
    boolean synchronous = driver.equals("rounds");
    DisseminationConfig v = DisseminationConfig.demers(mode, feedback, stop, k);
    long deadline = System.nanoTime() + budgetSeconds * 1_000_000_000L;
    double[] rounds = new double[seeds];
    double[] copies = new double[seeds];
    double[] messages = new double[seeds];
    int done = 0;
    int complete = 0;
    System.out.println("seed,informed,residue,rounds_to_last,rumor_copies_per_node,messages_per_node,wall_s");
    for (int s = 0; s < seeds && System.nanoTime() < deadline; s++) {
      long t = System.nanoTime();
      DisseminationRun.Result r = synchronous ? DisseminationRun.runRounds(n, 2000L + s, v, 0, 500, true)
          : DisseminationRun.run(n, 2000L + s, v, 0, 500, true);
      rounds[done] = r.roundsToLast();
      copies[done] = r.rumorsPerNode();
      messages[done] = r.messagesPerNode();
      done++;
      complete += r.informed() == n ? 1 : 0;
      System.out.printf(Locale.ROOT, "%d,%d,%.2e,%.2f,%.3f,%.3f,%.1f%n", r.seed(), r.informed(), r.residue(),
          r.roundsToLast(), r.rumorsPerNode(), r.messagesPerNode(), (System.nanoTime() - t) / 1e9);
    }
    double[] rs = Arrays.copyOf(rounds, done);
    Arrays.sort(rs);
    System.out.printf(Locale.ROOT,
        "%s N=%d, " + driver + ": %d seeds (%d reached every node); rounds to last node min %.2f median %.2f mean %.2f max %.2f;"
            + " rumor copies/node mean %.2f; messages/node mean %.2f (both counted until the last node is informed)%n",
        v, n, done, complete, rs[0], rs[done / 2], mean(rs), rs[done - 1], mean(Arrays.copyOf(copies, done)),
        mean(Arrays.copyOf(messages, done)));
  }

  static double mean(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s / a.length;
  }
}
