// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code grapevine agent}: runs one node in the foreground until SIGTERM, Ctrl-C or {@code leave}. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
    sortOptions = false,
    description = {
      "Run a Grapevine node in the foreground with its HTTP API.",
      "SIGTERM or Ctrl-C leaves the cluster gracefully (others see the node as 'left'), then exits.",
      "Settings come from flags, then the --config-dir files (last name wins), then the --config file, then",
      "defaults."
    },
    footer = {
      "",
      "Config file (YAML if it ends in .yaml/.yml, JSON if .json, else Java properties) keys:",
      "  name, cluster, bind, advertise, join (list), http, http-token, http-tls-cert, http-tls-key,",
      "  http-tls-keystore, http-tls-keystore-password, profile, data-dir, join-timeout (e.g. 10s),",
      "  overlay (full-membership | hyparview-plumtree), tree (on | off), coordinates (on | off),",
      "  encrypt (base64 key), keyring-file, event-handler (list), event-handler-queue,",
      "  event-handler-timeout, retry-join-max, retry-join-interval,",
      "  meta.KEY (or a 'meta:' map), and SECTION.KNOB for any protocol knob (or a 'SECTION:' map),",
      "  sections membership, dissemination, kv, aggregation, hyparview, plumtree, ring, coordinates,",
      "  transport, encryption (e.g. membership.probe-interval: 500ms, transport.mode: tcp-only;",
      "  see docs/configuration.md).",
      "Durations: 250ms, 1.5s, 2m, 1h or ISO-8601 (PT1S). Unknown keys are errors.",
      "The HTTP API token can also come from $GRAPEVINE_HTTP_TOKEN."
    })
public final class AgentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--name", paramLabel = "NAME", description = "Node name, unique in the cluster (required here or in the config file).")
  String name;

  @Option(names = "--bind", paramLabel = "HOST:PORT", description = "Gossip address, UDP and TCP (default: " + AgentSettings.DEFAULT_BIND + ").")
  String bind;

  @Option(names = "--advertise", paramLabel = "HOST:PORT", description = "Address others use to reach this node, if not the bind address (NAT, containers). With a wildcard --bind and no --advertise: the host's only private address.")
  String advertise;

  @Option(names = "--join", paramLabel = "SEED", split = ",", description = "Seeds to join through: HOST:PORT or dns:NAME[:PORT] (every A/AAAA record). Retried until one answers.")
  List<String> join;

  @Option(names = "--http", paramLabel = "HOST:PORT", description = "HTTP API address (default: " + AgentSettings.DEFAULT_HTTP + "). A non-loopback address needs http-token in the config file.")
  String http;

  @Option(names = "--http-tls-cert", paramLabel = "FILE", description = "Serve the HTTP API over TLS with this PEM certificate chain (server certificate first); needs --http-tls-key.")
  Path httpTlsCert;

  @Option(names = "--http-tls-key", paramLabel = "FILE", description = "The PEM PKCS#8 private key (BEGIN PRIVATE KEY) of --http-tls-cert.")
  Path httpTlsKey;

  @Option(names = "--http-tls-keystore", paramLabel = "FILE", description = "Serve the HTTP API over TLS with this PKCS12 keystore instead; its password comes from $" + AgentSettings.TLS_PASSWORD_ENV + " or http-tls-keystore-password in the config file.")
  Path httpTlsKeystore;

  @Option(names = "--profile", paramLabel = "lan|wan|local", description = "Protocol timing profile (default: lan).")
  String profile;

  @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "Metadata for this node; repeat for several pairs.")
  List<String> meta;

  @Option(names = "--cluster", paramLabel = "NAME", description = "Cluster name; nodes of other clusters are ignored (default: " + AgentSettings.DEFAULT_CLUSTER + ").")
  String cluster;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory for the replicated maps (created if missing); without it they live in memory and a restarted agent recovers them from its peers.")
  Path dataDir;

  @Option(names = "--overlay", paramLabel = "full-membership|hyparview-plumtree", description = "How user events travel: membership gossip (default) or Plumtree over a HyParView partial view, for very large clusters.")
  String overlay;

  @Option(names = "--tree", paramLabel = "on|off", description = "Run the sorted ring and its exact cluster-wide SUM/COUNT along the ring's tree (GET /v1/tree, 'grapevine tree'); default: off.")
  String tree;

  @Option(names = "--coordinates", paramLabel = "on|off", description = "Keep network coordinates from probe round trips (48 bytes on every ack) so 'grapevine rtt' can estimate the RTT between any two members; default: off.")
  String coordinates;
  @Option(names = "--tcp-only", description = "Send every packet, probes and gossip included, over TCP, for networks that drop UDP (transport.mode: tcp-only); costs a TCP connection per packet, see docs/networks.md.")
  boolean tcpOnly;

  @Option(names = "--encrypt", paramLabel = "KEY", description = "Seal every packet with AES-GCM under KEY: base64 of 16, 24 or 32 bytes (make one with 'grapevine keygen'). Packets not sealed with an installed key are dropped.")
  String encrypt;

  @Option(names = "--keyring-file", paramLabel = "FILE", description = "Keep the keyring in FILE (mode 0600): loaded at start when it exists (its keys win over --encrypt), rewritten on every key change. Default with --data-dir: DIR/keyring.")
  Path keyringFile;

  @Option(names = "--event-handler", paramLabel = "[FILTER=]COMMAND", description = "Run COMMAND (by /bin/sh -c) on events; FILTER is a comma-separated list of member-join, member-leave, member-failed, member-update, member-reap, user, user:NAME, query:NAME (the command's output answers the query); none: every member and user event. Repeatable; adds to the config file's list. See docs/cli.md.")
  List<String> eventHandlers;

  @Option(names = "--event-handler-queue", paramLabel = "N", description = "Events waiting for a handler at most (queries apart); more are dropped and counted (default: " + AgentSettings.DEFAULT_EVENT_HANDLER_QUEUE + ").")
  String eventHandlerQueue;

  @Option(names = "--event-handler-timeout", paramLabel = "DURATION", description = "Kill a handler still running after this long, and count it (default: 30s).")
  String eventHandlerTimeout;

  @Option(names = "--retry-join-max", paramLabel = "N", description = "Join attempts through the seeds before the agent gives up and exits with status 1; 0 (default) retries for ever.")
  String retryJoinMax;

  @Option(names = "--retry-join-interval", paramLabel = "DURATION", description = "Longest wait between two join attempts; the wait starts at 1 s and doubles up to it (default: 30s).")
  String retryJoinInterval;

  @Option(names = "--config", paramLabel = "FILE", description = "Config file, YAML (.yaml, .yml), JSON (.json) or properties; flags override it.")
  Path config;

  @Option(names = "--config-dir", paramLabel = "DIR", description = "Read every *.yaml, *.yml, *.json and *.properties file of DIR in file-name order after --config; a later file's settings win, event handlers add up; flags override them all.")
  Path configDir;

  @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info", description = "trace, debug, info, warn or error (default: ${DEFAULT-VALUE}); changeable at run time (PUT /v1/log-level).")
  String logLevel;

  @Option(names = "--log-format", paramLabel = "human|json", defaultValue = "human", description = "Log lines for people (default) or one JSON object per line.")
  String logFormat;

  @Option(names = "--log-file", paramLabel = "FILE", description = "Also write the log to FILE, rotated at " + Logging.MAX_FILE_SIZE + " and daily, " + Logging.MAX_HISTORY + " old files kept.")
  java.nio.file.Path logFile;

  @Override
  public Integer call() throws Exception {
    AgentSettings.Flags flags = new AgentSettings.Flags();
    flags.name = name;
    flags.bind = bind;
    flags.advertise = advertise;
    flags.join = join;
    flags.http = http;
    flags.httpToken = System.getenv("GRAPEVINE_HTTP_TOKEN");
    flags.profile = profile;
    flags.meta = meta;
    flags.clusterName = cluster;
    flags.dataDir = dataDir;
    flags.config = config;
    flags.configDir = configDir;
    flags.overlay = overlay;
    flags.tree = tree;
    flags.coordinates = coordinates;
    flags.httpTlsCert = httpTlsCert;
    flags.httpTlsKey = httpTlsKey;
    flags.httpTlsKeystore = httpTlsKeystore;
    flags.httpTlsKeystorePassword = System.getenv(AgentSettings.TLS_PASSWORD_ENV);
    flags.tcpOnly = tcpOnly;
    flags.encrypt = encrypt;
    flags.keyringFile = keyringFile;
    flags.eventHandlers = eventHandlers;
    flags.eventHandlerQueue = eventHandlerQueue;
    flags.eventHandlerTimeout = eventHandlerTimeout;
    flags.retryJoinMax = retryJoinMax;
    flags.retryJoinInterval = retryJoinInterval;
    String level = logLevel.toLowerCase(java.util.Locale.ROOT);
    if (!List.of("trace", "debug", "info", "warn", "error").contains(level)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--log-level must be trace, debug, info, warn or error, got '" + logLevel + "'");
    }
    Logging.Format format;
    try {
      format = Logging.Format.parse(logFormat);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (logFile != null && logFile.getParent() != null && !java.nio.file.Files.isDirectory(logFile.getParent())) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--log-file: directory " + logFile.getParent() + " does not exist");
    }
    AgentSettings settings = AgentSettings.resolve(flags);
    Logging.configure(level, format, logFile);
    return new Agent(settings).run();
  }
}
