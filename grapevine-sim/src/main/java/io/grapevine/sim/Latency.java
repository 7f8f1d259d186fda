// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.util.SplittableRandom;

/** One-way message latency, drawn per message. Values in microseconds of virtual time. */
public abstract class Latency {
  /** A latency in microseconds, never negative. */
  public abstract long drawMicros(SplittableRandom random);

  /** Human-readable form, as written in scenario files. */
  public abstract String describe();

  /** Every message takes exactly {@code micros}. */
  public static Latency constant(long micros) {
    return new Latency() {
      @Override
      public long drawMicros(SplittableRandom random) {
        return micros;
      }

      @Override
      public String describe() {
        return "constant " + micros / 1000.0 + "ms";
      }
    };
  }

  /** Uniform in [min, max]: random latency reorders messages between the same pair of nodes. */
  public static Latency uniform(long minMicros, long maxMicros) {
    return new Latency() {
      @Override
      public long drawMicros(SplittableRandom random) {
        return minMicros == maxMicros ? minMicros : random.nextLong(minMicros, maxMicros + 1);
      }

      @Override
      public String describe() {
        return "uniform " + minMicros / 1000.0 + ".." + maxMicros / 1000.0 + "ms";
      }
    };
  }

  /**
   * Log-normal with the given median and shape sigma: the long right tail of real networks. Capped at
   * {@code capMicros} so one draw cannot stall a run.
   */
  public static Latency logNormal(long medianMicros, double sigma, long capMicros) {
    double mu = StrictMath.log(medianMicros);
    return new Latency() {
      @Override
      public long drawMicros(SplittableRandom random) {
        double g = gaussian(random);
        long v = (long) StrictMath.exp(mu + sigma * g);
        return Math.min(capMicros, Math.max(0, v));
      }

      @Override
      public String describe() {
        return "lognormal median " + medianMicros / 1000.0 + "ms sigma " + sigma;
      }
    };
  }

  /**
   * Box-Muller from two uniforms. StrictMath throughout: Math's intrinsics may differ in the last bit
   * between JVMs and CPUs, and one bit of latency can reorder two events and change the whole run.
   */
  static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
  }
}
