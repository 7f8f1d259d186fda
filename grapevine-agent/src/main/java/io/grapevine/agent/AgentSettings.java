// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import io.grapevine.EventOverlay;
import io.grapevine.config.ClusterNames;
import io.grapevine.config.ConfigException;
import io.grapevine.config.ConfigRegistry;
import io.grapevine.config.Durations;
import io.grapevine.config.HostPort;
import io.grapevine.config.ProtocolConfigs;
import io.grapevine.runtime.KeyringFile;
import io.grapevine.security.Keys;
import io.grapevine.config.Setting;
import io.grapevine.config.MembershipConfig;
import io.grapevine.agent.api.HttpTls;
import io.grapevine.runtime.Seeds;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;

/**
 * Everything an agent runs with, resolved from command-line flags over a config file over defaults,
 * and validated: {@link #resolve} reports every bad setting, one line each, naming where it came
 * from ({@code --bind}, or the file and line: {@code agent.yaml:3: bind}).
 *
 * <p>Besides the agent's own keys, a config file sets any protocol knob as {@code SECTION.KNOB}
 * ({@code kv.sync-interval: 1s}, or nested under {@code kv:}), for every section of {@link
 * ConfigRegistry}: membership knobs go over the profile, the others over their defaults.
 *
 * @param name node name, unique in the cluster
 * @param clusterName cluster name carried in every packet
 * @param bind gossip bind address (UDP and TCP)
 * @param advertise address others use to reach this node, or null for the bind address; picked
 *     from the host's one private address when {@code bind} is a wildcard and none is given
 * @param advertiseNote how {@code advertise} was picked, for the log; null when it was given
 * @param seeds {@code HOST:PORT} or {@code dns:NAME[:PORT]} to join through; empty to start a new
 *     cluster
 * @param http HTTP API address
 * @param httpToken bearer token the API requires, or null (allowed only on loopback)
 * @param profile membership profile name the config starts from
 * @param meta this node's metadata
 * @param dataDir where the replicated maps are stored; null keeps them in memory
 * @param protocols every protocol's configuration: the profile's membership config and the other
 *     sections' defaults, with the file's {@code SECTION.KNOB} settings over them
 * @param joinTimeout how long one join attempt waits for a seed
 * @param overlay how user events travel: full membership (default) or HyParView + Plumtree
 * @param tree whether the node runs the sorted ring with exact SUM/COUNT along its tree (default
 *     off; {@code GET /v1/tree})
 * @param coordinates whether the node keeps network coordinates (default off; {@code GET /v1/rtt})
 * @param httpTls TLS for the HTTP API, or null for plain HTTP
 * @param encryptionKey the AES key packets are sealed with ({@code --encrypt}), or null
 * @param keyringFile where the keyring is kept ({@code --keyring-file}, else {@code DATA_DIR/keyring}
 *     with a data directory), or null to keep it in memory
 * @param eventHandlers commands run on events ({@code --event-handler}, the file's ones first)
 * @param eventHandlerQueue events (and, apart, queries) that may wait for a handler; more are dropped
 * @param eventHandlerTimeout a handler still running after this long is killed
 * @param retryJoinMax join attempts through the seeds before the agent gives up; 0 for no limit
 * @param retryJoinInterval the longest wait between two join attempts (the wait doubles from 1 s)
 */
public record AgentSettings(
    String name,
    String clusterName,
    String bind,
    String advertise,
    String advertiseNote,
    List<String> seeds,
    String http,
    String httpToken,
    String profile,
    Map<String, String> meta,
    Path dataDir,
    ProtocolConfigs protocols,
    Duration joinTimeout,
    EventOverlay overlay,
    boolean tree,
    boolean coordinates,
    Tls httpTls,
    byte[] encryptionKey,
    Path keyringFile,
    List<EventHandlers.Spec> eventHandlers,
    int eventHandlerQueue,
    Duration eventHandlerTimeout,
    int retryJoinMax,
    Duration retryJoinInterval) {

  /**
   * The HTTP API's TLS: where its key came from ({@code pem} or {@code pkcs12}) and the server
   * context loaded from it (loaded while settings are resolved, so a bad file stops the agent with
   * one line before anything starts).
   */
  public record Tls(String kind, SSLContext context) {}

  /** Environment variable holding the PKCS12 keystore password when the config file does not. */
  public static final String TLS_PASSWORD_ENV = "GRAPEVINE_HTTP_TLS_PASSWORD";

  /** The keyring file's name in a data directory. */
  public static final String KEYRING_FILE_NAME = "keyring";

  /** Default gossip address; the same as the runtime's. */
  public static final String DEFAULT_BIND = "127.0.0.1:7946";
  /** Default HTTP API address; commands that talk to an agent use it unless given --http. */
  public static final String DEFAULT_HTTP = "127.0.0.1:8946";
  /** Default cluster name. */
  public static final String DEFAULT_CLUSTER = "grapevine";

  private static final Set<String> KEYS =
      Set.of(
          "name", "cluster", "bind", "advertise", "join", "http", "http-token", "profile",
          "data-dir", "join-timeout", "overlay", "tree", "coordinates", "http-tls-cert", "http-tls-key",
          "http-tls-keystore", "http-tls-keystore-password", "encrypt",
          "keyring-file", "event-handler", "event-handler-queue", "event-handler-timeout", "retry-join-max",
          "retry-join-interval");

  /** Keys whose lists add up across config files instead of the later replacing the earlier. */
  static final Set<String> APPENDED = Set.of("event-handler");

  /** Default of {@code event-handler-queue}. */
  public static final int DEFAULT_EVENT_HANDLER_QUEUE = 256;
  /** Default of {@code event-handler-timeout}. */
  public static final Duration DEFAULT_EVENT_HANDLER_TIMEOUT = Duration.ofSeconds(30);
  /** Default of {@code retry-join-interval}. */
  public static final Duration DEFAULT_RETRY_JOIN_INTERVAL = Duration.ofSeconds(30);

  /** The membership configuration: {@code protocols().membership()}. */
  public MembershipConfig membership() {
    return protocols.membership();
  }

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
    /** {@code --config-dir}: its files, in name order, over {@link #config}. */
    public Path configDir;
    public String overlay;
    public String tree;
    public String coordinates;
    public Path httpTlsCert;
    public Path httpTlsKey;
    public Path httpTlsKeystore;
    /** From {@link #TLS_PASSWORD_ENV}; the config file's {@code http-tls-keystore-password} if null. */
    public String httpTlsKeystorePassword;
    /** The host's interface addresses; null asks the operating system (tests pass made-up ones). */
    public List<AdvertiseAddress.HostAddress> hostAddresses;
    /** {@code --tcp-only}: the same as {@code transport.mode: tcp-only}, over the file. */
    public boolean tcpOnly;
    public String encrypt;
    public Path keyringFile;
    /** {@code --event-handler}: added after the file's handlers. */
    public List<String> eventHandlers;
    public String eventHandlerQueue;
    public String eventHandlerTimeout;
    public String retryJoinMax;
    public String retryJoinInterval;
  }

  /**
   * Resolves flags over the config file (if any) over defaults.
   *
   * @throws SettingsException listing every bad setting, one line each
   */
  public static AgentSettings resolve(Flags flags) {
    Map<String, ConfigFile.Entry> file = flags.config == null ? Map.of() : ConfigFile.load(flags.config);
    if (flags.configDir != null) {
      // The directory's files come after --config: later wins, event handlers add up.
      file = ConfigFile.merge(file, ConfigFile.loadDir(flags.configDir, APPENDED), APPENDED);
    }
    String fileLabel = flags.config == null ? "" : flags.config.toString();
    Resolver r = new Resolver(file, fileLabel);
    return r.resolve(flags);
  }

  private static final class Resolver {
    final Map<String, ConfigFile.Entry> file;
    final String fileLabel;
    final List<String> errors = new ArrayList<>();

    Resolver(Map<String, ConfigFile.Entry> file, String fileLabel) {
      this.file = file;
      this.fileLabel = fileLabel;
    }

    AgentSettings resolve(Flags f) {
      List<Setting> knobs = new ArrayList<>();
      Map<String, String> meta = new TreeMap<>();
      for (String k : file.keySet()) {
        int dot = k.indexOf('.');
        String prefix = dot < 0 ? k : k.substring(0, dot);
        if (k.startsWith("meta.")) {
          String v = scalar(k);
          if (v != null) {
            addMeta(meta, k.substring("meta.".length()), v, at(k) + ": " + k);
          }
        } else if (KEYS.contains(k)) {
          continue;
        } else if (dot > 0 && ConfigRegistry.find(prefix).isPresent()) {
          String v = scalar(k);
          if (v != null) {
            knobs.add(new Setting(k, v, at(k)));
          }
        } else if (dot > 0 && !KEYS.contains(prefix)) {
          errors.add(at(k) + ": " + ConfigRegistry.unknownSection(prefix));
        } else {
          errors.add(at(k) + ": unknown setting '" + k + "' (known: " + String.join(", ", new TreeSet<>(KEYS))
              + ", meta.*, and SECTION.KNOB for the sections " + String.join(", ", ConfigRegistry.names()) + ")");
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
      Value coordinates = pick(f.coordinates, "--coordinates", "coordinates");
      Value tlsCert = pick(f.httpTlsCert == null ? null : f.httpTlsCert.toString(), "--http-tls-cert", "http-tls-cert");
      Value tlsKey = pick(f.httpTlsKey == null ? null : f.httpTlsKey.toString(), "--http-tls-key", "http-tls-key");
      Value tlsStore = pick(f.httpTlsKeystore == null ? null : f.httpTlsKeystore.toString(), "--http-tls-keystore",
          "http-tls-keystore");
      Value tlsPassword = pick(f.httpTlsKeystorePassword, "$" + TLS_PASSWORD_ENV, "http-tls-keystore-password");
      Value encrypt = pick(f.encrypt, "--encrypt", "encrypt");
      Value keyringFile = pick(f.keyringFile == null ? null : f.keyringFile.toString(), "--keyring-file", "keyring-file");
      Value handlerQueue = pick(f.eventHandlerQueue, "--event-handler-queue", "event-handler-queue");
      Value handlerTimeout = pick(f.eventHandlerTimeout, "--event-handler-timeout", "event-handler-timeout");
      Value retryMax = pick(f.retryJoinMax, "--retry-join-max", "retry-join-max");
      Value retryInterval = pick(f.retryJoinInterval, "--retry-join-interval", "retry-join-interval");

      if (name.text == null || name.text.isBlank()) {
        errors.add("a node name is required: give --name NAME or 'name' in the config file");
      } else {
        int bytes = name.text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 255 || !name.text.strip().equals(name.text)) {
          errors.add(name.origin + ": node name must be 1..255 bytes without surrounding spaces");
        }
      }
      String clusterName = cluster.text == null ? DEFAULT_CLUSTER : cluster.text;
      String clusterError = ClusterNames.error(clusterName);
      if (clusterError != null) {
        errors.add(cluster.origin + ": " + clusterError);
      }
      String bindText = bind.text == null ? DEFAULT_BIND : bind.text;
      String advertiseText = advertise.text;
      String advertiseNote = null;
      if (checkHostPort(bind.origin, bindText, 0) && advertise.text == null && isWildcard(bindText)) {
        HostPort hp = HostPort.parse(bindText, 0);
        AdvertiseAddress.Choice choice = pickAdvertise(f, hp.isIpv6());
        if (choice.picked()) {
          // The endpoint's text is the short form (fd00::5, not fd00:0:0:0:0:0:0:5).
          advertiseText = io.grapevine.node.Endpoint.of(
              new java.net.InetSocketAddress(choice.address(), hp.port())).toString();
          String host = advertiseText.substring(0, advertiseText.lastIndexOf(':'));
          advertiseNote = "bound to wildcard " + bindText + ": advertising " + host + " (the only private address,"
              + " on " + choice.interfaceName() + "); give --advertise to choose another";
        } else {
          errors.add(bind.origin + ": " + bindText + " is a wildcard address and " + choice.error()
              + ": give --advertise HOST:PORT (or 'advertise'), the address other nodes should use");
        }
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

      Tls tls = tls(tlsCert, tlsKey, tlsStore, tlsPassword);

      List<String> seeds = new ArrayList<>();
      if (f.join != null && !f.join.isEmpty()) {
        for (String s : f.join) {
          seeds.addAll(splitList(s));
        }
        checkSeeds("--join", seeds);
      } else if (file.containsKey("join")) {
        Object v = file.get("join").value();
        seeds.addAll(v instanceof List<?> l ? l.stream().map(Object::toString).toList() : splitList((String) v));
        checkSeeds(at("join") + ": join", seeds);
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
      if (f.tcpOnly) {
        knobs.add(new Setting("transport.mode", "tcp-only", "--tcp-only"));
      }
      // Knobs are checked even when the profile is bad, so every problem shows at once.
      ProtocolConfigs protocols = null;
      try {
        protocols = ProtocolConfigs.defaults().withMembership(base == null ? MembershipConfig.lan() : base).apply(knobs);
      } catch (ConfigException e) {
        errors.addAll(e.problems());
      }
      if (protocols != null) {
        int size = Metadata.encode(meta).length;
        if (size > protocols.membership().metadataMaxBytes) {
          errors.add(
              "metadata is " + size + " bytes encoded, more than membership.metadataMaxBytes ("
                  + protocols.membership().metadataMaxBytes + ")");
        }
      }

      Path dataPath = null;
      if (dataDir.text != null) {
        try {
          dataPath = Path.of(dataDir.text);
          if (Files.exists(dataPath) && !Files.isDirectory(dataPath)) {
            errors.add(dataDir.origin + ": " + dataPath + " exists and is not a directory");
          }
        } catch (InvalidPathException e) {
          // A file can hold what no command line can, a NUL say: still one line, not a stack trace.
          errors.add(dataDir.origin + ": not a usable path (" + e.getReason() + ")");
        }
      }

      byte[] key = null;
      if (encrypt.text != null) {
        try {
          key = Keys.decode(encrypt.text);
        } catch (IllegalArgumentException e) {
          errors.add(encrypt.origin + ": " + e.getMessage());
        }
      }
      Path keyringPath = null;
      try {
        keyringPath = keyringFile.text != null ? Path.of(keyringFile.text)
            : dataPath != null ? dataPath.resolve(KEYRING_FILE_NAME) : null;
      } catch (InvalidPathException e) {
        errors.add(keyringFile.origin + ": not a usable path (" + e.getReason() + ")");
      }
      if (keyringPath != null && Files.exists(keyringPath)) {
        if (Files.isDirectory(keyringPath)) {
          errors.add((keyringFile.text != null ? keyringFile.origin : dataDir.origin) + ": " + keyringPath
              + " is a directory, not a keyring file");
        } else {
          try {
            KeyringFile.load(keyringPath);
          } catch (IllegalArgumentException e) {
            errors.add((keyringFile.text != null ? keyringFile.origin : dataDir.origin) + ": " + e.getMessage());
          }
        }
      }

      Duration joinTimeoutValue = positiveDuration(joinTimeout, Duration.ofSeconds(10));
      Duration handlerTimeoutValue = positiveDuration(handlerTimeout, DEFAULT_EVENT_HANDLER_TIMEOUT);
      Duration retryIntervalValue = positiveDuration(retryInterval, DEFAULT_RETRY_JOIN_INTERVAL);
      int handlerQueueValue = count(handlerQueue, DEFAULT_EVENT_HANDLER_QUEUE, 1, 1_000_000);
      int retryMaxValue = count(retryMax, 0, 0, Integer.MAX_VALUE);

      List<EventHandlers.Spec> handlers = new ArrayList<>();
      if (file.containsKey("event-handler")) {
        Object v = file.get("event-handler").value();
        for (Object h : v instanceof List<?> l ? l : List.of(v)) {
          handler(handlers, h.toString(), at("event-handler") + ": event-handler");
        }
      }
      if (f.eventHandlers != null) {
        for (String h : f.eventHandlers) {
          handler(handlers, h, "--event-handler");
        }
      }
      // A query has one answer per node: two commands for one name is a settings error, found here
      // rather than once the node has started.
      java.util.Set<String> answered = new java.util.HashSet<>();
      for (EventHandlers.Spec h : handlers) {
        for (String q : h.queries()) {
          if (!answered.add(q)) {
            errors.add("event-handler: query '" + q + "' has two handlers; give it one");
          }
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

      boolean coordinatesValue = onOff(coordinates);

      // Knobs of a protocol this node does not run would be silently ignored: say so instead.
      for (Setting k : knobs) {
        String section = k.key().substring(0, k.key().indexOf('.'));
        if ((section.equals("hyparview") || section.equals("plumtree")) && overlayValue != EventOverlay.HYPARVIEW_PLUMTREE) {
          errors.add(k.source() + ": " + k.key() + ": has no effect unless overlay is "
              + EventOverlay.HYPARVIEW_PLUMTREE.configName() + " (it is " + overlayValue.configName() + ")");
        } else if (section.equals("ring") && !treeValue) {
          errors.add(k.source() + ": " + k.key() + ": has no effect unless tree is on");
        } else if (section.equals("coordinates") && !coordinatesValue) {
          errors.add(k.source() + ": " + k.key() + ": has no effect unless coordinates is on");
        }
      }

      if (!errors.isEmpty()) {
        throw new SettingsException(errors);
      }
      return new AgentSettings(
          name.text, clusterName, bindText, advertiseText, advertiseNote, List.copyOf(seeds), httpText, tokenText,
          profileText, Map.copyOf(meta), dataPath, protocols, joinTimeoutValue, overlayValue, treeValue,
          coordinatesValue, tls, key, keyringPath, List.copyOf(handlers), handlerQueueValue, handlerTimeoutValue,
          retryMaxValue, retryIntervalValue);
    }

    void handler(List<EventHandlers.Spec> out, String text, String origin) {
      try {
        out.add(EventHandlers.Spec.parse(text));
      } catch (IllegalArgumentException e) {
        errors.add(origin + ": " + e.getMessage());
      }
    }

    /** A positive duration, or {@code otherwise} when not given. */
    Duration positiveDuration(Value v, Duration otherwise) {
      if (v.text == null) {
        return otherwise;
      }
      try {
        Duration d = Durations.parse(v.text);
        if (d.isZero() || d.isNegative()) {
          errors.add(v.origin + ": must be positive");
          return otherwise;
        }
        return d;
      } catch (IllegalArgumentException e) {
        errors.add(v.origin + ": " + e.getMessage());
        return otherwise;
      }
    }

    /** A whole number in {@code min..max}, or {@code otherwise} when not given. */
    int count(Value v, int otherwise, int min, int max) {
      if (v.text == null) {
        return otherwise;
      }
      try {
        long n = Long.parseLong(v.text.strip());
        if (n < min || n > max) {
          errors.add(v.origin + ": must be " + min + ".." + max + ", got " + n);
          return otherwise;
        }
        return (int) n;
      } catch (NumberFormatException e) {
        errors.add(v.origin + ": expected a whole number, got '" + v.text + "'");
        return otherwise;
      }
    }

    /** An on/off switch; false when not given. YAML 1.1 readers may turn on/off into true/false. */
    private boolean onOff(Value v) {
      if (v.text == null) {
        return false;
      }
      switch (v.text.strip().toLowerCase(Locale.ROOT)) {
        case "on", "true" -> {
          return true;
        }
        case "off", "false" -> {
          return false;
        }
        default -> {
          errors.add(v.origin + ": expected on or off, got '" + v.text + "'");
          return false;
        }
      }
    }

    /** Loads the API's TLS material when some is given; each problem is one line naming its setting. */
    Tls tls(Value cert, Value key, Value store, Value password) {
      boolean pem = cert.text != null || key.text != null;
      if (pem && store.text != null) {
        errors.add(store.origin + ": give either http-tls-cert with http-tls-key (PEM) or http-tls-keystore"
            + " (PKCS12), not both");
        return null;
      }
      if (pem) {
        if (cert.text == null || key.text == null) {
          Value given = cert.text == null ? key : cert;
          errors.add(given.origin + ": PEM TLS needs both http-tls-cert (certificate chain) and http-tls-key"
              + " (PKCS#8 private key)");
          return null;
        }
        try {
          return new Tls("pem", HttpTls.serverFromPem(Path.of(cert.text), Path.of(key.text)));
        } catch (IllegalArgumentException e) {
          errors.add(cert.origin + ": " + e.getMessage());
          return null;
        }
      }
      if (store.text != null) {
        char[] pw = password.text == null ? new char[0] : password.text.toCharArray();
        try {
          return new Tls("pkcs12", HttpTls.serverFromPkcs12(Path.of(store.text), pw));
        } catch (IllegalArgumentException e) {
          errors.add(store.origin + ": " + e.getMessage());
          return null;
        }
      }
      if (password.text != null && file.containsKey("http-tls-keystore-password")) {
        errors.add(at("http-tls-keystore-password") + ": http-tls-keystore-password without http-tls-keystore");
      }
      return null;
    }

    AdvertiseAddress.Choice pickAdvertise(Flags f, boolean ipv6) {
      List<AdvertiseAddress.HostAddress> addresses = f.hostAddresses;
      if (addresses == null) {
        try {
          addresses = AdvertiseAddress.hostAddresses();
        } catch (java.net.SocketException e) {
          return new AdvertiseAddress.Choice(null, null, "the host's addresses cannot be listed (" + e.getMessage() + ")");
        }
      }
      return AdvertiseAddress.pick(addresses, ipv6);
    }

    /** A setting's value and where it came from, for error messages. */
    record Value(String text, String origin) {}

    Value pick(String flag, String flagName, String key) {
      if (flag != null) {
        return new Value(flag, flagName);
      }
      if (file.containsKey(key)) {
        return new Value(scalar(key), at(key) + ": " + key);
      }
      return new Value(null, flagName);
    }

    /** The file and line of {@code key}: {@code agent.yaml:3}. */
    String at(String key) {
      ConfigFile.Entry e = file.get(key);
      String label = e == null || e.file() == null ? fileLabel : e.file();
      return e == null || e.line() <= 0 ? label : label + ":" + e.line();
    }

    String scalar(String key) {
      Object v = file.get(key).value();
      if (v instanceof List<?>) {
        errors.add(at(key) + ": " + key + ": expected a single value, not a list");
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
        String error = Seeds.syntaxError(s);
        if (error != null) {
          errors.add(origin + ": " + error);
        }
      }
    }

    boolean checkHostPort(String origin, String text, int minPort) {
      String error = HostPort.error(text, minPort);
      if (error != null) {
        errors.add(origin + ": " + error);
        return false;
      }
      return true;
    }
  }

  static List<String> splitList(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  /** True when HOST of HOST:PORT is the any-address, 0.0.0.0 or [::]. */
  static boolean isWildcard(String hostPort) {
    HostPort hp = HostPort.parse(hostPort, 0);
    return hp.isIpLiteral() && hp.literalAddress().isAnyLocalAddress();
  }

  /** True when HOST of HOST:PORT is a loopback address (resolving a name if needed). */
  public static boolean isLoopback(String hostPort) {
    HostPort hp = HostPort.parse(hostPort, 0);
    try {
      return (hp.isIpLiteral() ? hp.literalAddress() : InetAddress.getByName(hp.host())).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
