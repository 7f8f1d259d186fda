// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.net;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A set of hosts for multi-host tests: one network namespace per host, each with one interface
 * ({@code eth0}, a veth whose other end sits on a bridge this run creates), an IPv4 address from
 * 198.18.0.0/15 (RFC 2544, benchmarking) and/or an IPv6 address from fd00::/8. The bridge has no
 * address in the root namespace, so nothing is routed off the machine. Faults are nftables rules in
 * each host's own table ({@code inet gvfault}), on {@code eth0} only, so a host's loopback (where its
 * HTTP API listens) is never touched.
 *
 * <p>Every name carries this process's id and a sequence number, and {@link #close()} removes
 * exactly what this run created (also from a shutdown hook, so an aborted run cleans up too).
 * Needs root, {@code ip}, {@code nft} and {@code curl}: {@link #assumeUsable()} skips otherwise.
 */
public final class Namespaces implements AutoCloseable {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  /** One host: its namespace and addresses (null when that family is off). */
  public record Host(int index, String namespace, String ipv4, String ipv6) {
    /** The address to bind and advertise: IPv4 when the host has one, else IPv6 in brackets. */
    public String hostForUri() {
      return ipv4 != null ? ipv4 : "[" + ipv6 + "]";
    }

    /** A short name for logs and node names. */
    public String name() {
      return "h" + index;
    }
  }

  /** Output of a finished command. */
  public record Result(int exit, String out, String err) {}

  private final String tag;
  private final String bridge;
  private final List<Host> hosts = new ArrayList<>();
  private final List<String> veths = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Thread cleanupHook;
  private boolean bridgeCreated;
  private boolean closed;

  private Namespaces(String tag) {
    this.tag = tag;
    this.bridge = "gvb" + tag;
    this.cleanupHook = new Thread(this::closeQuietly, "namespaces-cleanup-" + tag);
  }

  /**
   * Skips the calling test (JUnit assumption) unless this process is root and has ip, nft and curl.
   * Under CI (environment CI set) a missing tool fails instead, so a lost install step shows.
   */
  public static void assumeUsable() {
    assumeTrue(isRoot(), "multi-host tests need root (network namespaces, nftables): skipped");
    for (String tool : List.of("ip", "nft", "curl")) {
      boolean found = onPath(tool);
      if (!found && System.getenv("CI") != null) {
        throw new IllegalStateException(tool + " is not installed; .ci/run installs it (apt-get install -y nftables curl)");
      }
      assumeTrue(found, tool + " is not installed (apt-get install -y nftables curl): multi-host tests skipped");
    }
  }

  /**
   * Creates {@code count} hosts on one bridge. Host i (from 1) gets 198.18.{i/250}.{i%250+1}/15
   * when ipv4 is set and fd00:67:76::i/64 when ipv6 is set.
   */
  public static Namespaces create(int count, boolean ipv4, boolean ipv6) throws IOException {
    if (count < 1 || count > 200 || (!ipv4 && !ipv6)) {
      throw new IllegalArgumentException("1..200 hosts with at least one address family");
    }
    // pid + sequence keeps names unique per run and within the 15-byte interface-name limit.
    String tag = Long.toString(ProcessHandle.current().pid(), 36) + "-" + SEQUENCE.incrementAndGet();
    Namespaces n = new Namespaces(tag);
    Runtime.getRuntime().addShutdownHook(n.cleanupHook);
    try {
      n.run("ip", "link", "add", n.bridge, "type", "bridge");
      n.bridgeCreated = true;
      n.run("ip", "link", "set", n.bridge, "up");
      for (int i = 1; i <= count; i++) {
        String ns = "gv" + tag + "h" + i;
        String veth = "gvv" + tag + "h" + i;
        String v4 = ipv4 ? "198.18." + (i / 250) + "." + (i % 250 + 1) : null;
        String v6 = ipv6 ? "fd00:67:76::" + Integer.toHexString(i) : null;
        n.run("ip", "netns", "add", ns);
        n.hosts.add(new Host(i, ns, v4, v6));
        n.run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        n.veths.add(veth);
        n.run("ip", "link", "set", veth, "master", n.bridge, "up");
        n.run("ip", "-n", ns, "link", "set", "lo", "up");
        if (v4 != null) {
          n.run("ip", "-n", ns, "addr", "add", v4 + "/15", "dev", "eth0");
        }
        if (v6 != null) {
          // nodad: the address is usable at once instead of after duplicate detection.
          n.run("ip", "-n", ns, "addr", "add", v6 + "/64", "dev", "eth0", "nodad");
        }
        n.run("ip", "-n", ns, "link", "set", "eth0", "up");
        n.nft(n.hosts.get(i - 1), String.join("\n",
            "table inet gvfault {",
            "  chain in { type filter hook input priority 0; policy accept; }",
            "  chain out { type filter hook output priority 0; policy accept; }",
            "}"));
      }
    } catch (IOException | RuntimeException e) {
      n.closeQuietly();
      throw e;
    }
    return n;
  }

  public List<Host> hosts() {
    return List.copyOf(hosts);
  }

  public Host host(int index) {
    return hosts.get(index - 1);
  }

  /** Starts a command inside a host's namespace with output to {@code log}; killed on close. */
  public synchronized Process start(Host host, List<String> command, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace()));
    cmd.addAll(command);
    // ip netns exec execs the command, so the handle is the command's own process.
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  /** Runs a command inside a host's namespace and waits for it (30 s at most). */
  public Result exec(Host host, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace()));
    cmd.addAll(List.of(command));
    return runCommand(cmd, null);
  }

  /** Loads an nftables script into a host's namespace. */
  public void nft(Host host, String script) throws IOException {
    Result r = runCommand(List.of("ip", "netns", "exec", host.namespace(), "nft", "-f", "-"), script);
    if (r.exit() != 0) {
      throw new IOException("nft in " + host.namespace() + " failed: " + r.err().strip() + "\n" + script);
    }
  }

  /** Drops every packet from {@code senders} arriving at {@code receiver} (one direction). */
  public void dropFrom(Host receiver, Collection<Host> senders) throws IOException {
    StringBuilder s = new StringBuilder();
    for (Host from : senders) {
      if (from.ipv4() != null && receiver.ipv4() != null) {
        s.append("add rule inet gvfault in iifname \"eth0\" ip saddr ").append(from.ipv4()).append(" drop\n");
      }
      if (from.ipv6() != null && receiver.ipv6() != null) {
        s.append("add rule inet gvfault in iifname \"eth0\" ip6 saddr ").append(from.ipv6()).append(" drop\n");
      }
    }
    nft(receiver, s.toString());
  }

  /** A symmetric partition: no packet crosses between the two groups, either way. */
  public void partition(Collection<Host> a, Collection<Host> b) throws IOException {
    for (Host h : a) {
      dropFrom(h, b);
    }
    for (Host h : b) {
      dropFrom(h, a);
    }
  }

  /** The host receives nothing from the network (it can still send). */
  public void blockInbound(Host host) throws IOException {
    nft(host, "add rule inet gvfault in iifname \"eth0\" drop\n");
  }

  /** The host sends nothing to the network (it can still receive). */
  public void blockOutbound(Host host) throws IOException {
    nft(host, "add rule inet gvfault out oifname \"eth0\" drop\n");
  }

  /** Drops {@code percent} of the host's inbound packets, at random. */
  public void inboundLoss(Host host, int percent) throws IOException {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("loss must be 0..100%, got " + percent);
    }
    nft(host, "add rule inet gvfault in iifname \"eth0\" numgen random mod 100 < " + percent + " drop\n");
  }

  /** Removes every fault rule from the given hosts. */
  public void heal(Collection<Host> which) throws IOException {
    for (Host h : which) {
      nft(h, "flush chain inet gvfault in\nflush chain inet gvfault out\n");
    }
  }

  /** Removes every fault rule from every host. */
  public void healAll() throws IOException {
    heal(hosts);
  }

  /** Kills this run's processes, then deletes its namespaces and bridge, and only those. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Host h : hosts) {
      runQuietly("ip", "netns", "del", h.namespace()); // takes its veth end (and so the peer) along
    }
    for (String veth : veths) {
      runQuietly("ip", "link", "del", veth); // normally gone already with the namespace
    }
    if (bridgeCreated) {
      runQuietly("ip", "link", "del", bridge);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(cleanupHook);
    } catch (IllegalStateException shuttingDown) {
      // called from the hook itself
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException ignored) {
      // best effort on the failure path
    }
  }

  private void run(String... command) throws IOException {
    Result r = runCommand(List.of(command), null);
    if (r.exit() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.err().strip());
    }
  }

  private void runQuietly(String... command) {
    try {
      runCommand(List.of(command), null);
    } catch (IOException | RuntimeException ignored) {
      // cleanup goes on with the next item
    }
  }

  private static Result runCommand(List<String> command, String stdin) throws IOException {
    Path out = Files.createTempFile("gvnet", ".out");
    Path err = Files.createTempFile("gvnet", ".err");
    try {
      Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      try (OutputStream in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + COMMAND_TIMEOUT.toSeconds() + " s: " + String.join(" ", command));
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static boolean isRoot() {
    try {
      Result r = runCommand(List.of("id", "-u"), null);
      return r.exit() == 0 && r.out().strip().equals("0");
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    List<String> dirs = new ArrayList<>(path == null ? List.of() : List.of(path.split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin")); // root's tools, even when PATH leaves them out
    for (String dir : dirs) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
