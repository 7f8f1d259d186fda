// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import io.grapevine.Cluster;
import io.grapevine.api.Member;
import io.grapevine.api.MemberEvent;
import io.grapevine.api.UserEvent;
import io.grapevine.query.QueryRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs operator commands on cluster events, as Serf's event handlers do: member-join, member-leave,
 * member-failed, member-update and member-reap, user events ({@code user} or {@code user:NAME}) and
 * queries ({@code query:NAME}, whose answer is the command's standard output).
 *
 * <p>The node only enqueues: commands run on threads of their own, events in order on one, queries on
 * another, each behind a bounded queue. A full queue drops the event, a command running past the
 * timeout is killed (with its child processes); drops, timeouts and failures are counted ({@link
 * #stats}) and logged, so a slow or broken handler never holds up probes or gossip.
 */
public final class EventHandlers implements AutoCloseable {
  /** What a command's output is cut to when it is only logged. */
  static final int MAX_LOGGED_OUTPUT = 8 * 1024;
  /** The member and user event types a filter may name. */
  public static final List<String> MEMBER_EVENTS =
      List.of("member-join", "member-leave", "member-failed", "member-update", "member-reap");

  private static final Logger log = LoggerFactory.getLogger("grapevine.agent.handlers");

  /**
   * One {@code --event-handler [FILTER=]COMMAND}.
   *
   * @param filters event types it runs for ({@code member-join}, {@code user}, {@code user:deploy},
   *     {@code query:load}); empty means every member and user event
   * @param command run by {@code /bin/sh -c}
   */
  public record Spec(List<String> filters, String command) {
    /** Whether this handler runs for {@code event} (member-join...) or user event {@code name}. */
    boolean matches(String event, String userEvent) {
      if (filters.isEmpty()) {
        return true;
      }
      for (String f : filters) {
        if (f.equals(event) || (userEvent != null && f.equals("user:" + userEvent))) {
          return true;
        }
      }
      return false;
    }

    /** The query names it answers. */
    List<String> queries() {
      return filters.stream().filter(f -> f.startsWith("query:")).map(f -> f.substring("query:".length())).toList();
    }

    /**
     * Parses {@code [FILTER=]COMMAND}. The part before the first {@code =} is a filter when it has no
     * space in it; then every comma-separated event in it must be known.
     *
     * @throws IllegalArgumentException with one line naming the problem
     */
    public static Spec parse(String text) {
      if (text == null || text.isBlank()) {
        throw new IllegalArgumentException("expected [FILTER=]COMMAND, got an empty value");
      }
      int eq = text.indexOf('=');
      String head = eq < 0 ? "" : text.substring(0, eq);
      if (eq <= 0 || head.chars().anyMatch(Character::isWhitespace)) {
        return new Spec(List.of(), text.strip());
      }
      String command = text.substring(eq + 1).strip();
      if (command.isEmpty()) {
        throw new IllegalArgumentException("no command after '" + head + "='");
      }
      List<String> filters = new ArrayList<>();
      for (String f : head.split(",", -1)) {
        String e = f.strip();
        boolean named = (e.startsWith("user:") || e.startsWith("query:")) && e.indexOf(':') < e.length() - 1;
        if (!MEMBER_EVENTS.contains(e) && !e.equals("user") && !named) {
          throw new IllegalArgumentException("unknown event '" + e + "' in '" + head + "' (known: "
              + String.join(", ", MEMBER_EVENTS) + ", user, user:NAME, query:NAME)");
        }
        filters.add(e);
      }
      return new Spec(List.copyOf(filters), command);
    }
  }

  /** Counters since start; each outcome is also logged. */
  public record Stats(long ok, long failed, long timedOut, long dropped) {}

  private final Cluster cluster;
  private final List<Spec> specs;
  private final Duration timeout;
  private final int maxAnswerBytes;
  private final BlockingQueue<Runnable> eventQueue;
  private final BlockingQueue<Runnable> queryQueue;
  private final ExecutorService events;
  private final ExecutorService queries;
  /** Feeds standard input and drains standard output of the running commands. */
  private final ExecutorService pipes;
  private final List<AutoCloseable> subscriptions = new ArrayList<>();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong timedOut = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile long lastDropLogNanos;

  /**
   * Subscribes the handlers to {@code cluster}'s events and registers their queries.
   *
   * @param queueCapacity events (and, separately, queries) waiting at most; more are dropped
   * @param timeout a command still running after this long is killed
   * @throws IllegalArgumentException when a query name cannot be registered
   */
  public EventHandlers(Cluster cluster, List<Spec> specs, int queueCapacity, Duration timeout, int maxAnswerBytes) {
    this.cluster = cluster;
    this.specs = List.copyOf(specs);
    this.timeout = timeout;
    this.maxAnswerBytes = maxAnswerBytes;
    this.eventQueue = new ArrayBlockingQueue<>(queueCapacity);
    this.queryQueue = new ArrayBlockingQueue<>(queueCapacity);
    this.events = single(eventQueue, "grapevine-event-handler");
    this.queries = single(queryQueue, "grapevine-query-handler");
    AtomicInteger n = new AtomicInteger();
    this.pipes = Executors.newCachedThreadPool(r -> daemon(r, "grapevine-handler-pipe-" + n.incrementAndGet()));
    boolean forEvents = this.specs.stream().anyMatch(s -> s.filters().isEmpty()
        || s.filters().stream().anyMatch(f -> !f.startsWith("query:")));
    if (forEvents) {
      subscriptions.add(cluster.addListener(this::onMemberEvent));
      subscriptions.add(cluster.events().subscribe(null, this::onUserEvent));
    }
    Map<String, Spec> byQuery = new LinkedHashMap<>();
    for (Spec s : this.specs) {
      for (String q : s.queries()) {
        if (byQuery.putIfAbsent(q, s) != null) {
          throw new IllegalArgumentException("query '" + q + "' has two handlers; give it one");
        }
      }
    }
    byQuery.forEach((name, spec) -> subscriptions.add(cluster.onQuery(name, r -> onQuery(spec, r))));
  }

  private static ExecutorService single(BlockingQueue<Runnable> queue, String name) {
    return new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, queue, r -> daemon(r, name),
        (r, pool) -> {
          throw new java.util.concurrent.RejectedExecutionException("full");
        });
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Counters since start. */
  public Stats stats() {
    return new Stats(ok.get(), failed.get(), timedOut.get(), dropped.get());
  }

  /**
   * Registers {@code grapevine_event_handler_runs_total{outcome=ok|failed|timeout|dropped}}, read at
   * scrape time.
   */
  public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    Map<String, AtomicLong> outcomes = Map.of("ok", ok, "failed", failed, "timeout", timedOut, "dropped", dropped);
    outcomes.forEach((outcome, counter) ->
        io.micrometer.core.instrument.FunctionCounter.builder("grapevine.event.handler.runs", counter, AtomicLong::get)
            .tag("outcome", outcome)
            .description("Event handler commands by outcome: exited 0, failed (non-zero exit or could not start),"
                + " killed at the timeout, or dropped because the queue was full")
            .register(registry));
  }

  /** The name operators know a membership change by; null for changes handlers are not told of. */
  static String eventName(MemberEvent.Type type) {
    return switch (type) {
      case JOINED -> "member-join";
      case LEFT -> "member-leave";
      case DEAD -> "member-failed";
      case UPDATED -> "member-update";
      case REAPED -> "member-reap";
      case SUSPECTED, ALIVE -> null;
    };
  }

  // Called on the node's event loop: only enqueue.
  private void onMemberEvent(MemberEvent e) {
    String event = eventName(e.type());
    if (event == null) {
      return;
    }
    byte[] stdin = memberLine(e.member()).getBytes(StandardCharsets.UTF_8);
    for (Spec s : specs) {
      if (s.matches(event, null)) {
        Map<String, String> env = env(event);
        submit(events, s, event,
            () -> run(s, env, stdin, System.nanoTime() + timeout.toNanos(), timeout.toMillis(), event, null));
      }
    }
  }

  // Called on the node's event loop: only enqueue.
  private void onUserEvent(UserEvent e) {
    byte[] payload = e.payload();
    for (Spec s : specs) {
      if (s.matches("user", e.topic())) {
        Map<String, String> env = env("user");
        env.put("GRAPEVINE_USER_EVENT", e.topic());
        env.put("GRAPEVINE_USER_LTIME", Long.toString(e.lamport()));
        String what = "user:" + e.topic();
        submit(events, s, what,
            () -> run(s, env, payload, System.nanoTime() + timeout.toNanos(), timeout.toMillis(), what, null));
      }
    }
  }

  // Called on the node's event loop: only enqueue; the answer completes later.
  private CompletableFuture<byte[]> onQuery(Spec s, QueryRequest r) {
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    // The query's own deadline bounds the command too: an answer after it would be refused anyway.
    long left = Math.min(timeout.toMillis(), Math.max(0, r.deadlineMillis() - cluster.clockMillis()));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(left);
    Map<String, String> env = env("query");
    env.put("GRAPEVINE_QUERY_NAME", r.name());
    String what = "query:" + r.name();
    byte[] payload = r.payload().clone();
    if (!submit(queries, s, what, () -> answer.complete(run(s, env, payload, deadline, left, what, answer)))) {
      answer.complete(null);
    }
    return answer;
  }

  private boolean submit(ExecutorService pool, Spec s, String what, Runnable task) {
    try {
      pool.execute(task);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException full) {
      long n = dropped.incrementAndGet();
      long now = System.nanoTime();
      // One line per ten seconds at most: a flood of drops must not become a flood of log lines.
      if (now - lastDropLogNanos > TimeUnit.SECONDS.toNanos(10)) {
        lastDropLogNanos = now;
        log.warn("event handler queue full: dropped {} for '{}' ({} dropped so far; the handler is slower than"
            + " the events; see --event-handler-queue)", what, s.command(), n);
      }
      return false;
    }
  }

  /** Serf's member line: name, address, role tag, all tags as k=v,k=v; tab-separated. */
  static String memberLine(Member m) {
    Map<String, String> tags = Metadata.decode(m.metadata());
    String role = tags == null ? "" : tags.getOrDefault("role", "");
    List<String> pairs = new ArrayList<>();
    if (tags != null) {
      tags.forEach((k, v) -> pairs.add(k + "=" + v));
    }
    return m.name() + "\t" + m.endpoint() + "\t" + role + "\t" + String.join(",", pairs) + "\n";
  }

  private Map<String, String> env(String event) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GRAPEVINE_EVENT", event);
    Member self = cluster.localMember();
    env.put("GRAPEVINE_SELF_NAME", self.name());
    Map<String, String> tags = Metadata.decode(self.metadata());
    if (tags != null) {
      env.put("GRAPEVINE_SELF_ROLE", tags.getOrDefault("role", ""));
      tags.forEach((k, v) -> env.put("GRAPEVINE_TAG_" + k.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_]", "_"), v));
    }
    return env;
  }

  /**
   * Runs one command until it exits or {@code deadlineNanos} ({@code allowedMillis} after the event,
   * for the log); returns its standard output (cut to
   * the answer limit) when it exited 0, else null.
   */
  private byte[] run(Spec s, Map<String, String> env, byte[] stdin, long deadlineNanos, long allowedMillis,
      String what, CompletableFuture<byte[]> answer) {
    boolean query = answer != null;
    ProcessBuilder pb = new ProcessBuilder(shell(s.command())).redirectErrorStream(!query);
    if (query) {
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    }
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      failed.incrementAndGet();
      log.warn("event handler '{}' for {} could not start: {}", s.command(), what, e.getMessage());
      return null;
    }
    int limit = query ? maxAnswerBytes : MAX_LOGGED_OUTPUT;
    pipes.execute(() -> feed(p.getOutputStream(), stdin));
    CompletableFuture<Bounded> output = CompletableFuture.supplyAsync(() -> drain(p.getInputStream(), limit), pipes);
    try {
      long wait = deadlineNanos - System.nanoTime();
      if (!p.waitFor(Math.max(0, wait), TimeUnit.NANOSECONDS)) {
        kill(p);
        long n = timedOut.incrementAndGet();
        log.warn("event handler '{}' for {} still ran after {} ms: killed ({} timed out so far)", s.command(), what,
            allowedMillis, n);
        return null;
      }
      Bounded out = output.get(5, TimeUnit.SECONDS);
      if (p.exitValue() != 0) {
        long n = failed.incrementAndGet();
        log.warn("event handler '{}' for {} exited with status {} ({} failed so far){}", s.command(), what,
            p.exitValue(), n, out.bytes.length == 0 ? "" : ": " + text(out.bytes));
        return null;
      }
      ok.incrementAndGet();
      if (out.cut) {
        log.warn("event handler '{}' for {} wrote more than {} bytes; kept the first {}", s.command(), what, limit,
            limit);
      }
      if (log.isDebugEnabled()) {
        log.debug("event handler '{}' for {} done{}", s.command(), what, out.bytes.length == 0 ? "" : ": "
            + text(out.bytes));
      }
      return out.bytes;
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      return null;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // The command exited but something it started still holds its output open.
      kill(p);
      long n = failed.incrementAndGet();
      log.warn("event handler '{}' for {} exited but its output stayed open: killed what it left running ({} failed"
          + " so far)", s.command(), what, n);
      return null;
    }
  }

  private static List<String> shell(String command) {
    return System.getProperty("os.name", "").startsWith("Windows")
        ? List.of("cmd", "/C", command)
        : List.of("/bin/sh", "-c", command);
  }

  /** Ends the command and whatever it started, so that nothing it left holds a pipe open. */
  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private static void feed(OutputStream in, byte[] bytes) {
    try (in) {
      in.write(bytes);
    } catch (IOException ignored) {
      // The command did not read its input (or exited first): nothing to tell.
    }
  }

  private record Bounded(byte[] bytes, boolean cut) {}

  /** Reads the stream to its end, keeping the first {@code limit} bytes. */
  private static Bounded drain(InputStream out, int limit) {
    ByteArrayOutputStream kept = new ByteArrayOutputStream(Math.min(limit, 1024));
    boolean cut = false;
    byte[] buf = new byte[4096];
    try (out) {
      for (int n; (n = out.read(buf)) >= 0; ) {
        int room = limit - kept.size();
        if (n > room) {
          cut = true;
        }
        kept.write(buf, 0, Math.min(n, Math.max(0, room)));
      }
    } catch (IOException ignored) {
      // Killed: what was read is all there is.
    }
    return new Bounded(kept.toByteArray(), cut);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8).strip().replace('\n', ' ');
  }

  @Override
  public void close() {
    for (AutoCloseable s : subscriptions) {
      try {
        s.close();
      } catch (Exception ignored) {
        // Closing the node closes these too.
      }
    }
    events.shutdownNow();
    queries.shutdownNow();
    pipes.shutdownNow();
  }
}
