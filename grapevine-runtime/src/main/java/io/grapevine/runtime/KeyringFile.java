// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import io.grapevine.security.Keys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A keyring on disk: one base64 key per line, the primary first; blank lines and lines starting with
 * {@code #} are ignored. Written whole to a temporary file of mode 0600 and moved into place, so a
 * crash never leaves half a keyring and no other user can read the keys.
 */
public final class KeyringFile {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private KeyringFile() {}

  /**
   * The keys in {@code file}, primary first.
   *
   * @throws IllegalArgumentException with one line naming the file and line of a bad key, or an
   *     empty or unreadable file
   */
  public static List<byte[]> load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("keyring file " + file + " cannot be read: " + e.getMessage());
    }
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        keys.add(Keys.decode(line));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("keyring file " + file + " line " + (i + 1) + ": " + e.getMessage());
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("keyring file " + file + " holds no key");
    }
    return keys;
  }

  /** Writes {@code keys} (primary first) to {@code file}, mode 0600 where the file system has modes. */
  public static void save(Path file, List<byte[]> keys) {
    StringBuilder text = new StringBuilder("# Grapevine keyring: one base64 AES key per line, the primary first.\n");
    for (byte[] k : keys) {
      text.append(Keys.encode(k)).append('\n');
    }
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path tmp = createOwnerOnly(dir, file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("keyring file " + file + " cannot be written: " + e.getMessage(), e);
    }
  }

  private static Path createOwnerOnly(Path dir, String name) throws IOException {
    Path tmp = dir.resolve(name);
    Files.deleteIfExists(tmp);
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
        : new FileAttribute<?>[0];
    try {
      return Files.createFile(tmp, attrs);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("temporary file " + tmp + " appeared while writing", e);
    }
  }
}
