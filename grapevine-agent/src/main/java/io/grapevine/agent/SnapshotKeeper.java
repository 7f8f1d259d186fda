// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import io.grapevine.Cluster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link MemberSnapshot} in {@value #FILE_NAME} under the agent's data directory: rewritten
 * after membership changes, at most once per {@value #MIN_INTERVAL_MILLIS} ms (a churning cluster
 * would otherwise rewrite it on every event), on a thread of its own so the event loop never waits
 * for the disk. Each write goes to a temporary file, is forced to disk and renamed over the old one,
 * so a crash leaves the old snapshot or the new one, never half of one.
 */
final class SnapshotKeeper implements AutoCloseable {
  /** The file's name in the data directory; other state there (stores, keys) has files of its own. */
  static final String FILE_NAME = "members.snapshot";
  /** Shortest time between two writes. */
  static final long MIN_INTERVAL_MILLIS = 1000;

  private static final Logger log = LoggerFactory.getLogger("grapevine.agent");

  private final Path file;
  private final Cluster cluster;
  private final String selfName;
  private final ScheduledExecutorService writer;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private MemberSnapshot snapshot;
  private volatile long lastWriteMillis;
  private boolean warned;
  private AutoCloseable listener;

  SnapshotKeeper(Path dataDir, Cluster cluster, MemberSnapshot previous) {
    this.file = dataDir.resolve(FILE_NAME);
    this.cluster = cluster;
    this.selfName = cluster.localMember().name();
    this.snapshot = previous;
    this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "grapevine-snapshot");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * The snapshot in {@code dataDir}; empty when there is none. A file that cannot be read is logged
   * and ignored: the agent then starts as if it had never run, rather than not at all.
   */
  static MemberSnapshot load(Path dataDir) {
    Path f = dataDir.resolve(FILE_NAME);
    try {
      return MemberSnapshot.decode(Files.readString(f, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return MemberSnapshot.empty();
    } catch (IOException | IllegalArgumentException e) {
      log.warn("ignoring the member snapshot {}: {}", f, e.getMessage());
      return MemberSnapshot.empty();
    }
  }

  /** Listens for membership changes and writes the first snapshot. */
  void start() {
    listener = cluster.addListener(e -> changed());
    changed();
  }

  /** Called on the event loop: only schedules. */
  private void changed() {
    if (scheduled.compareAndSet(false, true)) {
      long wait = Math.max(0, lastWriteMillis + MIN_INTERVAL_MILLIS - System.currentTimeMillis());
      try {
        writer.schedule(this::write, wait, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        scheduled.set(false);
      }
    }
  }

  /** Writer thread. */
  private void write() {
    // Cleared first: a change from here on schedules another write.
    scheduled.set(false);
    long now = System.currentTimeMillis();
    snapshot = snapshot.merge(cluster.members(), selfName, now);
    try {
      writeAtomically(file, snapshot.encode());
      lastWriteMillis = now;
    } catch (IOException e) {
      // Once: a full or read-only disk would otherwise log on every membership change.
      if (!warned) {
        warned = true;
        log.warn("cannot write the member snapshot {}: {} (a restart without --join may find nobody)", file, e.toString());
      }
    }
  }

  static void writeAtomically(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Writes a last snapshot (bounded wait) and stops. */
  @Override
  public void close() {
    try {
      if (listener != null) {
        listener.close();
      }
      writer.submit(this::write).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
      log.warn("last member snapshot not written: {}", e.toString());
    } catch (Exception e) {
      log.debug("closing the snapshot listener: {}", e.toString());
    } finally {
      writer.shutdownNow();
    }
  }
}
