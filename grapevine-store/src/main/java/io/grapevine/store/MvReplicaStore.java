// SPDX-License-Identifier: Apache-2.0
package io.grapevine.store;

import io.grapevine.config.AntiEntropyConfig;
import io.grapevine.antientropy.Entry;
import io.grapevine.antientropy.ReplicaStore;
import io.grapevine.antientropy.StoreKey;
import io.grapevine.wire.MalformedPacketException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * A {@link ReplicaStore} on disk, in an H2 MVStore file ({@code replica.mv.db} in the data
 * directory).
 *
 * <p><b>Why MVStore.</b> One pure-Java jar with no native code (RocksDB's JNI jar carries native
 * libraries for every platform and its own memory management), the same behaviour on JDK 17 and 25,
 * an ordered map (prefix scans are range scans), readers that never block the writer, and a
 * copy-on-write, append-only file format with checksummed chunks: after a crash it reopens at the
 * last complete commit. The write rate of a gossip-replicated store (a few thousand writes per
 * second at most) is far below what it sustains.
 *
 * <p><b>Commit and fsync policy.</b>
 *
 * <ul>
 *   <li>A client's own write (put, delete, counter or set update) is put in the map at once and
 *       made durable by {@link #sync()}: a commit, then the file forced to disk ({@code
 *       FileChannel.force}). The node's runtime runs it on a thread of its own, one sync covering
 *       every write queued before it (group commit), and acknowledges the write only when the sync
 *       covering it has returned; so an acknowledged write survives a process crash or power loss.
 *       ({@code write(..., durable = true)} does the same on the calling thread.)
 *   <li>Replicated writes (versions learnt from peers) and removals of collected tombstones are
 *       put in the map without waiting: MVStore's background writer commits them within {@code
 *       autoCommitDelay} (1 s). A crash may lose the last second of them; peers still hold them and
 *       anti-entropy brings them back after the restart.
 * </ul>
 *
 * Keys are stored as {@code map + '\0' + key} (map names cannot contain NUL), values as the
 * entry's canonical encoding, so a stored entry is exactly what the wire carries.
 */
public final class MvReplicaStore implements ReplicaStore {
  /** File name inside the data directory. */
  public static final String FILE_NAME = "replica.mv.db";

  private final MVStore store;
  private final MVMap<String, byte[]> entries;
  private final AntiEntropyConfig config;
  private final Path file;
  private volatile boolean closed;

  private MvReplicaStore(MVStore store, MVMap<String, byte[]> entries, AntiEntropyConfig config, Path file) {
    this.store = store;
    this.entries = entries;
    this.config = config;
    this.file = file;
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir}.
   *
   * @throws UncheckedIOException if the directory cannot be created or the file cannot be opened
   *     (in use by another process, corrupt beyond recovery)
   */
  public static MvReplicaStore open(Path dataDir, AntiEntropyConfig config) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data directory " + dataDir + ": " + e.getMessage(), e);
    }
    Path file = dataDir.resolve(FILE_NAME);
    MVStore store;
    try {
      store = new MVStore.Builder().fileName(file.toString()).open();
    } catch (RuntimeException e) {
      throw new UncheckedIOException("cannot open replica store " + file + ": " + e.getMessage(),
          new IOException(e));
    }
    MVMap<String, byte[]> map = store.openMap("entries");
    return new MvReplicaStore(store, map, config, file);
  }

  /** The store file. */
  public Path file() {
    return file;
  }

  private static String storeKey(StoreKey k) {
    return k.map() + '\0' + k.key();
  }

  private Entry decode(String key, byte[] bytes) {
    try {
      return Entry.decode(bytes, config);
    } catch (MalformedPacketException e) {
      throw new IllegalStateException("corrupt entry '" + key.replace('\0', '/') + "' in " + file + ": "
          + e.getMessage());
    }
  }

  @Override
  public Entry get(StoreKey key) {
    String k = storeKey(key);
    byte[] b = entries.get(k);
    return b == null ? null : decode(k, b);
  }

  @Override
  public void write(List<Entry> puts, List<StoreKey> removals, boolean durable) {
    for (Entry e : puts) {
      entries.put(storeKey(e.key()), e.encoded());
    }
    for (StoreKey k : removals) {
      entries.remove(storeKey(k));
    }
    if (durable) {
      sync();
    }
  }

  /** True: entries are kept on disk and survive the process once synced. */
  @Override
  public boolean persistent() {
    return true;
  }

  /**
   * Commits everything put so far and forces the file to disk. Safe from any thread, concurrently
   * with writes and reads (MVStore serializes commits; its background writer commits too).
   *
   * @throws IllegalStateException if the store is closed or the disk write fails
   */
  @Override
  public void sync() {
    store.commit();
    store.sync();
  }

  @Override
  public void forEach(Consumer<Entry> action) {
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      action.accept(decode(e.getKey(), e.getValue()));
    }
  }

  @Override
  public void scan(String map, String prefix, Consumer<Entry> action) {
    String from = map + '\0' + prefix;
    Cursor<String, byte[]> c = entries.cursor(from);
    while (c.hasNext()) {
      String k = c.next();
      if (!k.startsWith(from)) {
        break;
      }
      action.accept(decode(k, c.getValue()));
    }
  }

  @Override
  public long size() {
    return entries.sizeAsLong();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    store.close();
  }

  /** Iterates stored keys, for diagnostics. */
  Iterator<String> keys() {
    return entries.keyIterator(null);
  }
}
