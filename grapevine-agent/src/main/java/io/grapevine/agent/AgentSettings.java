package io.grapevine.agent;

import io.grapevine.EventOverlay;
import io.grapevine.membership.MembershipConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything an agent runs with, resolved from command-line flags over a config file over defaults,
 * and validated: {@link #resolve} reports every bad setting, one line each, naming where it came
 * from ({@code --bind} or {@code agent.yaml: bind}).
 *
 * @param name node name, unique in the cluster
 * @param clusterName cluster name carried in every packet
 * @param bind gossip bind address (UDP and TCP)
 * @param advertise address others use to reach this node, or null for the bind address
 * @param seeds {@code HOST:PORT} or {@code dns:NAME[:PORT]} to join through; empty to start a new
 *     cluster
 * @param http HTTP API address
 * @param httpToken bearer token the API requires, or null (allowed only on loopback)
 * @param profile membership profile name the config starts from
 * @param meta this node's metadata
 * @param dataDir where the replicated maps are stored; null keeps them in memory
 * @param membership the protocol configuration (profile plus {@code membership.*} overrides)
 * @param joinTimeout how long one join attempt waits for a seed
 * @param overlay how user events travel: full membership (default) or HyParView + Plumtree
 * @param tree whether the node runs the sorted ring with exact SUM/COUNT along its tree (default
 *     off; {@code GET /v1/tree})
 */
public record AgentSettings(
    String name,
    String clusterName,
    String bind,
    String advertise,
    List<String> seeds,
    String http,
    String httpToken,
    String profile,
    Map<String, String> meta,
    Path dataDir,
    MembershipConfig membership,
    Duration joinTimeout,
    EventOverlay overlay,
    boolean tree) {

  /** Default gossip address; the same as the runtime's. */
  public static final String DEFAULT_BIND = "127.0.0.1:7946";
  /** Default HTTP API address; commands that talk to an agent use it unless given --http. */
  public static final String DEFAULT_HTTP = "127.0.0.1:8946";
  /** Default cluster name. */
  public static final String DEFAULT_CLUSTER = "grapevine";

  private static final Set<String> KEYS =
      Set.of(
          "name", "cluster", "bind", "advertise", "join", "http", "http-token", "profile",
          "data-dir", "join-timeout", "overlay", "tree");

  /** Values given on the command line; null (or empty) means "not given". */
  public static final class Flags {
    public String name;
    public String clusterName;
    public String bind;
    public String advertise;
    public List<String> join;
    public String http;
    public String httpToken;
    public String profile;
    public List<String> meta;
    public Path dataDir;
    public Path config;
    public String overlay;
    public String tree;
  }

  /**
   * Resolves flags over the config file (if any) over defaults.
   *
   * @throws SettingsException listing every bad setting, one line each
   */
  public static AgentSettings resolve(Flags flags) {
    Map<String, Object> file = flags.config == null ? Map.of() : ConfigFile.load(flags.config);
    String fileLabel = flags.config == null ? "" : flags.config.toString();
    Resolver r = new Resolver(file, fileLabel);
    return r.resolve(flags);
  }

  private static final class Resolver {
    final Map<String, Object> file;
    final String fileLabel;
    final List<String> errors = new ArrayList<>();

    Resolver(Map<String, Object> file, String fileLabel) {
      this.file = file;
      this.fileLabel = fileLabel;
    }

    AgentSettings resolve(Flags f) {
      Map<String, Object> membershipKeys = new LinkedHashMap<>();
      Map<String, String> meta = new TreeMap<>();
      for (Map.Entry<String, Object> e : file.entrySet()) {
        String k = e.getKey();
        if (k.startsWith("membership.")) {
          membershipKeys.put(k.substring("membership.".length()), e.getValue());
        } else if (k.startsWith("meta.")) {
          String key = k.substring("meta.".length());
          String v = scalar(k);
          if (v != null) {
            addMeta(meta, key, v, fileLabel + ": " + k);
          }
        } else if (!KEYS.contains(k)) {
          errors.add(
              fileLabel + ": unknown setting '" + k + "' (known: " + String.join(", ", new TreeSet<>(KEYS))
                  + ", meta.*, membership.*)");
        }
      }

      Value name = pick(f.name, "--name", "name");
      Value cluster = pick(f.clusterName, "--cluster", "cluster");
      Value bind = pick(f.bind, "--bind", "bind");
      Value advertise = pick(f.advertise, "--advertise", "advertise");
      Value http = pick(f.http, "--http", "http");
      Value token = pick(f.httpToken, "--http-token", "http-token");
      Value profile = pick(f.profile, "--profile", "profile");
      Value dataDir = pick(f.dataDir == null ? null : f.dataDir.toString(), "--data-dir", "data-dir");
      Value joinTimeout = pick(null, "--join-timeout", "join-timeout");
      Value overlay = pick(f.overlay, "--overlay", "overlay");
      Value tree = pick(f.tree, "--tree", "tree");

      if (name.text == null || name.text.isBlank()) {
        errors.add("a node name is required: give --name NAME or 'name' in the config file");
      } else {
        int bytes = name.text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 255 || !name.text.strip().equals(name.text)) {
          errors.add(name.origin + ": node name must be 1..255 bytes without surrounding spaces");
        }
      }
      String clusterName = cluster.text == null ? DEFAULT_CLUSTER : cluster.text;
      if (clusterName.isEmpty() || clusterName.getBytes(StandardCharsets.UTF_8).length > 255) {
        errors.add(cluster.origin + ": cluster name must be 1..255 bytes");
      }
      String bindText = bind.text == null ? DEFAULT_BIND : bind.text;
      if (checkHostPort(bind.origin, bindText, 0) && advertise.text == null && isWildcard(bindText)) {
        errors.add(
            bind.origin + ": " + bindText + " is a wildcard address: also give --advertise HOST:PORT"
                + " (or 'advertise'), the address other nodes should use");
      }
      if (advertise.text != null) {
        checkHostPort(advertise.origin, advertise.text, 1);
      }
      String httpText = http.text == null ? DEFAULT_HTTP : http.text;
      boolean httpOk = checkHostPort(http.origin, httpText, 0);
      String tokenText = token.text == null || token.text.isEmpty() ? null : token.text;
      if (httpOk && tokenText == null && !isLoopback(httpText)) {
        errors.add(
            http.origin + ": the HTTP API on non-loopback address " + httpText
                + " requires a bearer token: set 'http-token' in the config file");
      }

      List<String> seeds = new ArrayList<>();
      if (f.join != null && !f.join.isEmpty()) {
        for (String s : f.join) {
          seeds.addAll(splitList(s));
        }
        checkSeeds("--join", seeds);
      } else if (file.containsKey("join")) {
        Object v = file.get("join");
        seeds.addAll(v instanceof List<?> l ? l.stream().map(Object::toString).toList() : splitList((String) v));
        checkSeeds(fileLabel + ": join", seeds);
      }

      if (f.meta != null) {
        for (String pair : f.meta) {
          try {
            Map.Entry<String, String> e = Metadata.parsePair(pair);
            meta.put(e.getKey(), e.getValue());
          } catch (IllegalArgumentException e) {
            errors.add("--meta: " + e.getMessage());
          }
        }
      }

      String profileText = profile.text == null ? "lan" : profile.text.toLowerCase(Locale.ROOT);
      MembershipConfig base = null;
      try {
        base = MembershipConfig.profile(profileText);
      } catch (IllegalArgumentException e) {
        errors.add(profile.origin + ": " + e.getMessage());
      }
      // Overrides are checked even when the profile is bad, so every problem shows at once.
      MembershipConfig config = applyOverrides(base == null ? MembershipConfig.lan() : base, membershipKeys);
      if (config != null) {
        int size = Metadata.encode(meta).length;
        if (size > config.metadataMaxBytes) {
          errors.add(
              "metadata is " + size + " bytes encoded, more than membership.metadataMaxBytes ("
                  + config.metadataMaxBytes + ")");
        }
      }

      Path dataPath = null;
      if (dataDir.text != null) {
        dataPath = Path.of(dataDir.text);
        if (Files.exists(dataPath) && !Files.isDirectory(dataPath)) {
          errors.add(dataDir.origin + ": " + dataPath + " exists and is not a directory");
        }
      }

      Duration joinTimeoutValue = Duration.ofSeconds(10);
      if (joinTimeout.text != null) {
        try {
          joinTimeoutValue = Durations.parse(joinTimeout.text);
          if (joinTimeoutValue.isZero() || joinTimeoutValue.isNegative()) {
            errors.add(joinTimeout.origin + ": must be positive");
          }
        } catch (IllegalArgumentException e) {
          errors.add(joinTimeout.origin + ": " + e.getMessage());
        }
      }

      EventOverlay overlayValue = EventOverlay.FULL_MEMBERSHIP;
      if (overlay.text != null) {
        try {
          overlayValue = EventOverlay.parse(overlay.text);
        } catch (IllegalArgumentException e) {
          errors.add(overlay.origin + ": " + e.getMessage());
        }
      }

      boolean treeValue = false;
      if (tree.text != null) {
        // YAML 1.1 readers may turn a bare on/off into true/false: both spellings mean the same.
        switch (tree.text.strip().toLowerCase(Locale.ROOT)) {
          case "on", "true" -> treeValue = true;
          case "off", "false" -> treeValue = false;
          default -> errors.add(tree.origin + ": expected on or off, got '" + tree.text + "'");
        }
      }

      if (!errors.isEmpty()) {
        throw new SettingsException(errors);
      }
      return new AgentSettings(
          name.text, clusterName, bindText, advertise.text, List.copyOf(seeds), httpText, tokenText,
          profileText, Map.copyOf(meta), dataPath, config, joinTimeoutValue, overlayValue, treeValue);
    }

    /** A setting's value and where it came from, for error messages. */
    record Value(String text, String origin) {}

    Value pick(String flag, String flagName, String key) {
      if (flag != null) {
        return new Value(flag, flagName);
      }
      if (file.containsKey(key)) {
        return new Value(scalar(key), fileLabel + ": " + key);
      }
      return new Value(null, flagName);
    }

    String scalar(String key) {
      Object v = file.get(key);
      if (v instanceof List<?>) {
        errors.add(fileLabel + ": " + key + ": expected a single value, not a list");
        return null;
      }
      return (String) v;
    }

    void addMeta(Map<String, String> meta, String key, String value, String origin) {
      String error = Metadata.checkKey(key);
      if (error == null) {
        error = Metadata.checkValue(key, value);
      }
      if (error != null) {
        errors.add(origin + ": " + error);
      } else {
        meta.put(key, value);
      }
    }

    void checkSeeds(String origin, List<String> seeds) {
      for (String s : seeds) {
        if (s.startsWith("dns:")) {
          String rest = s.substring(4);
          if (rest.isEmpty() || rest.contains("/") || rest.contains(" ")) {
            errors.add(origin + ": expected dns:NAME or dns:NAME:PORT, got '" + s + "'");
          }
        } else {
          checkHostPort(origin, s, 1);
        }
      }
    }

    boolean checkHostPort(String origin, String text, int minPort) {
      String error = hostPortError(text, minPort);
      if (error != null) {
        errors.add(origin + ": " + error);
        return false;
      }
      return true;
    }

    MembershipConfig applyOverrides(MembershipConfig base, Map<String, Object> overrides) {
      if (overrides.isEmpty()) {
        return base;
      }
      MembershipConfig.Builder b = base.toBuilder();
      Map<String, Method> knobs = knobs();
      int before = errors.size();
      for (Map.Entry<String, Object> e : overrides.entrySet()) {
        String origin = fileLabel + ": membership." + e.getKey();
        Method m = knobs.get(camel(e.getKey()));
        if (m == null) {
          errors.add(
              fileLabel + ": unknown setting 'membership." + e.getKey() + "' (known knobs: "
                  + String.join(", ", knobs.keySet()) + ")");
          continue;
        }
        if (!(e.getValue() instanceof String text)) {
          errors.add(origin + ": expected a single value, not a list");
          continue;
        }
        try {
          m.invoke(b, convert(m.getParameterTypes()[0], text));
        } catch (IllegalArgumentException ex) {
          errors.add(origin + ": " + ex.getMessage());
        } catch (IllegalAccessException | InvocationTargetException ex) {
          errors.add(origin + ": " + ex);
        }
      }
      if (errors.size() > before) {
        return null;
      }
      try {
        return b.build();
      } catch (IllegalArgumentException ex) {
        for (String part : ex.getMessage().replace("invalid membership config: ", "").split("; ")) {
          errors.add(fileLabel + ": membership: " + part);
        }
        return null;
      }
    }
  }

  /** The builder methods of {@link MembershipConfig.Builder}, by knob name. */
  static Map<String, Method> knobs() {
    Map<String, Method> knobs = new TreeMap<>();
    for (Method m : MembershipConfig.Builder.class.getMethods()) {
      if (m.getParameterCount() == 1 && m.getReturnType() == MembershipConfig.Builder.class) {
        knobs.put(m.getName(), m);
      }
    }
    return knobs;
  }

  private static Object convert(Class<?> type, String text) {
    if (type == Duration.class) {
      return Durations.parse(text);
    }
    if (type == int.class) {
      try {
        return Integer.parseInt(text.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a whole number, got '" + text + "'");
      }
    }
    if (type == boolean.class) {
      if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(text);
      }
      throw new IllegalArgumentException("expected true or false, got '" + text + "'");
    }
    throw new IllegalArgumentException("unsupported knob type " + type.getSimpleName());
  }

  /** {@code probe-interval} and {@code probeInterval} both name the knob {@code probeInterval}. */
  static String camel(String key) {
    StringBuilder sb = new StringBuilder();
    boolean up = false;
    for (char c : key.toCharArray()) {
      if (c == '-' || c == '_') {
        up = true;
      } else {
        sb.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return sb.toString();
  }

  static List<String> splitList(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  /** A syntax check of HOST:PORT (IPv6 in brackets); null when fine. Does not resolve names. */
  public static String hostPortError(String text, int minPort) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      return "expected HOST:PORT, got '" + text + "'";
    }
    String host = text.substring(0, colon);
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      return "put an IPv6 address in brackets, like [::1]:7946, got '" + text + "'";
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      return "bad port in '" + text + "'";
    }
    if (port < minPort || port > 65535) {
      return "port must be " + minPort + "..65535 in '" + text + "'";
    }
    return null;
  }

  /** True when HOST of HOST:PORT is the any-address, 0.0.0.0 or [::]. */
  static boolean isWildcard(String hostPort) {
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return InetAddress.getByName(host).isAnyLocalAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** True when HOST of HOST:PORT is a loopback address (resolving a name if needed). */
  public static boolean isLoopback(String hostPort) {
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
