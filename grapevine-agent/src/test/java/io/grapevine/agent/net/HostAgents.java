// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grapevine.agent.net.Namespaces.Host;
import io.grapevine.agent.net.Namespaces.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real {@code grapevine agent} processes, one per host of a {@link Namespaces}: gossip on port 7946
 * of the host's address (or of the wildcard, advertising the host's address), the HTTP API on the
 * host's own loopback, port 8946, reached with curl inside the namespace (the test's namespace has
 * no route to the hosts, on purpose). Every namespace has its own ports, so all agents share them.
 */
public final class HostAgents {
  static final int GOSSIP_PORT = 7946;
  static final int HTTP_PORT = 8946;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern DEAD = Pattern.compile(": member (\\S+) at \\S+ declared dead");
  private static final Pattern SUSPECTED = Pattern.compile(": member (\\S+) at \\S+ is suspected");

  /** How an agent binds its gossip port. */
  public enum Bind {
    /** {@code --bind} the host's own address. */
    OWN_ADDRESS,
    /** {@code --bind 0.0.0.0:7946} (or {@code [::]}) with {@code --advertise} the host's address. */
    WILDCARD
  }

  /** A running agent. */
  public record Agent(Host host, Process process, Path log) {
    public String name() {
      return host.name();
    }

    public String gossip() {
      return host.hostForUri() + ":" + GOSSIP_PORT;
    }
  }

  private final Namespaces net;
  private final Path jar;
  private final Path work;
  private final List<String> extraArgs;

  /**
   * @param jar the runnable agent jar
   * @param work where logs go
   * @param extraArgs added to every agent's command line (a config file, a profile)
   */
  public HostAgents(Namespaces net, Path jar, Path work, List<String> extraArgs) {
    this.net = net;
    this.jar = jar;
    this.work = work;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts an agent on {@code host}, joining {@code seed} unless it is null. */
  public Agent start(Host host, Bind bind, Host seed) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Small heaps and the serial collector: ten idle agents share two cores with the build.
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-jar", jar.toString(), "agent", "--name", host.name(), "--http", httpHost(host) + ":" + HTTP_PORT));
    String own = host.hostForUri() + ":" + GOSSIP_PORT;
    if (bind == Bind.OWN_ADDRESS) {
      cmd.addAll(List.of("--bind", own));
    } else {
      cmd.addAll(List.of("--bind", (host.ipv4() != null ? "0.0.0.0" : "[::]") + ":" + GOSSIP_PORT, "--advertise", own));
    }
    if (seed != null) {
      cmd.addAll(List.of("--join", seed.hostForUri() + ":" + GOSSIP_PORT));
    }
    cmd.addAll(extraArgs);
    Path log = work.resolve(host.namespace() + ".log");
    return new Agent(host, net.start(host, cmd, log), log);
  }

  /** Each member's state as this agent sees it, by name. */
  public Map<String, String> states(Agent agent) throws IOException {
    JsonNode body = JSON.readTree(curl(agent, "GET", "/v1/members", null));
    Map<String, String> states = new TreeMap<>();
    body.get("members").forEach(m -> states.put(m.get("name").asText(), m.get("state").asText()));
    return states;
  }

  /** Each member's advertised address as this agent sees it, by name. */
  public Map<String, String> addresses(Agent agent) throws IOException {
    JsonNode body = JSON.readTree(curl(agent, "GET", "/v1/members", null));
    Map<String, String> addresses = new TreeMap<>();
    body.get("members").forEach(m -> addresses.put(m.get("name").asText(), m.get("address").asText()));
    return addresses;
  }

  /** Writes a key through this agent; true once the agent acknowledged it (HTTP 200). */
  public boolean put(Agent agent, String map, String key, String value) throws IOException {
    Result r = net.exec(agent.host(), "curl", "-g", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
        "-X", "PUT", "--data-binary", value, url(agent, "/v1/kv/" + map + "/" + key));
    return r.out().strip().equals("200");
  }

  /** The live keys of a map on this agent, with their values. */
  public Map<String, String> entries(Agent agent, String map) throws IOException {
    JsonNode body = JSON.readTree(curl(agent, "GET", "/v1/kv/" + map, null));
    Map<String, String> entries = new TreeMap<>();
    body.get("entries").forEach(e -> entries.put(e.get("key").asText(), e.path("value").asText()));
    return entries;
  }

  /** Every time this agent's log says it declared or learned a member dead, in order. */
  public List<String> declaredDead(Agent agent) throws IOException {
    return logged(agent, DEAD);
  }

  /** Every time this agent's log says it suspected or learned a member suspected, in order. */
  public List<String> suspected(Agent agent) throws IOException {
    return logged(agent, SUSPECTED);
  }

  private List<String> logged(Agent agent, Pattern pattern) throws IOException {
    List<String> names = new ArrayList<>();
    if (!Files.exists(agent.log())) {
      return names;
    }
    for (String line : Files.readAllLines(agent.log())) {
      Matcher m = pattern.matcher(line);
      if (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  private String curl(Agent agent, String method, String path, String body) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("curl", "-g", "-s", "-f", "--max-time", "5", "-X", method));
    if (body != null) {
      cmd.addAll(List.of("--data-binary", body));
    }
    cmd.add(url(agent, path));
    Result r = net.exec(agent.host(), cmd.toArray(String[]::new));
    if (r.exit() != 0) {
      throw new IOException("curl " + path + " on " + agent.name() + " exited " + r.exit() + ": " + r.err().strip());
    }
    return r.out();
  }

  private static String url(Agent agent, String path) {
    return "http://" + httpHost(agent.host()) + ":" + HTTP_PORT + path;
  }

  private static String httpHost(Host host) {
    return host.ipv4() != null ? "127.0.0.1" : "[::1]";
  }
}
