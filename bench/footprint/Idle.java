// SPDX-License-Identifier: Apache-2.0
/** The baseline of bench/footprint.sh: a JVM that loads nothing and sleeps. */
public final class Idle {
  private Idle() {}

  public static void main(String[] args) throws InterruptedException {
    Thread.sleep(Long.MAX_VALUE);
  }
}
