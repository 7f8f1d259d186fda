// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS material for the HTTP API, read with the JDK alone: a server context from a PEM certificate
 * chain and a PEM PKCS#8 private key, or from a PKCS12 keystore; and a client context trusting the
 * certificates of a PEM CA file. Every failure is an {@link IllegalArgumentException} whose message
 * is one line naming the file and what is wrong with it.
 */
public final class HttpTls {
  private static final Pattern KEY_PEM =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
  /** Key algorithms a PKCS#8 key is tried as, in order. */
  private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448");
  private static final char[] IN_MEMORY_PASSWORD = "grapevine".toCharArray();

  private HttpTls() {}

  /**
   * A server context from PEM files.
   *
   * @param certificateChain the server's certificate first, then any intermediates
   * @param privateKey an unencrypted PKCS#8 key ({@code BEGIN PRIVATE KEY}); {@code openssl pkcs8
   *     -topk8 -nocrypt} converts other forms
   */
  public static SSLContext serverFromPem(Path certificateChain, Path privateKey) {
    List<X509Certificate> chain = certificates(certificateChain);
    PrivateKey key = privateKey(privateKey);
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("api", key, IN_MEMORY_PASSWORD, chain.toArray(new Certificate[0]));
      return server(ks, IN_MEMORY_PASSWORD);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(privateKey + ": the key does not fit the certificate in "
          + certificateChain + " (" + oneLine(e) + ")");
    }
  }

  /** A server context from a PKCS12 keystore holding one private key and its chain. */
  public static SSLContext serverFromPkcs12(Path keystore, char[] password) {
    byte[] bytes = read(keystore);
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(new ByteArrayInputStream(bytes), password);
      boolean hasKey = false;
      for (String alias : java.util.Collections.list(ks.aliases())) {
        hasKey |= ks.isKeyEntry(alias);
      }
      if (!hasKey) {
        throw new IllegalArgumentException(keystore + ": the keystore holds no private key");
      }
      return server(ks, password);
    } catch (IOException e) {
      // PKCS12 reports a wrong password and a damaged file as IOExceptions.
      throw new IllegalArgumentException(keystore + ": cannot open the PKCS12 keystore (wrong password or not a"
          + " PKCS12 file: " + oneLine(e) + ")");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(keystore + ": cannot use the keystore: " + oneLine(e));
    }
  }

  /** A client context trusting exactly the certificates in the PEM file {@code caFile}. */
  public static SSLContext clientTrusting(Path caFile) {
    List<X509Certificate> cas = certificates(caFile);
    try {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        ts.setCertificateEntry("ca" + i, cas.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(caFile + ": cannot use these certificates: " + oneLine(e));
    }
  }

  private static SSLContext server(KeyStore ks, char[] password) throws GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  /** The X.509 certificates of a PEM file, at least one. */
  static List<X509Certificate> certificates(Path pem) {
    byte[] bytes = read(pem);
    Collection<? extends Certificate> certs;
    try (InputStream in = new ByteArrayInputStream(bytes)) {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(pem + ": not a PEM certificate file (" + oneLine(e) + ")");
    }
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate c : certs) {
      out.add((X509Certificate) c);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(pem + ": no certificate found (expected -----BEGIN CERTIFICATE-----)");
    }
    return out;
  }

  private static PrivateKey privateKey(Path pem) {
    String text = new String(read(pem), StandardCharsets.US_ASCII);
    Matcher m = KEY_PEM.matcher(text);
    if (!m.find()) {
      String hint = text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
          || text.contains("BEGIN ENCRYPTED PRIVATE KEY")
          ? " (convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)"
          : "";
      throw new IllegalArgumentException(pem + ": no unencrypted PKCS#8 key found (expected -----BEGIN PRIVATE KEY-----)"
          + hint);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(pem + ": the key is not valid base64");
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException | RuntimeException notThisOne) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException(pem + ": not an RSA, EC or EdDSA PKCS#8 private key");
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": no such file");
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + oneLine(e));
    }
  }

  private static String oneLine(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).strip();
  }
}
