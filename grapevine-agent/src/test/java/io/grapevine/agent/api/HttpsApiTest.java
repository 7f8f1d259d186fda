// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.grapevine.agent.GrapevineCommand;
import io.grapevine.agent.client.AgentClient;
import io.grapevine.agent.client.AgentClient.AgentException;
import io.grapevine.api.MemberState;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The HTTP API over real TLS on loopback, with a certificate made for the test by the JDK's keytool
 * (for 127.0.0.1), served from PEM files and from the PKCS12 keystore, and the CLI client against it.
 */
class HttpsApiTest {
  private static final String TOKEN = "s3cret-token";
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir static Path dir;
  private static Path keystore;
  private static Path certPem;
  private static Path keyPem;

  private final FakeCluster cluster = new FakeCluster("n1").put("n2", MemberState.ALIVE, "");
  private ApiServer server;

  @BeforeAll
  static void makeCertificate() throws Exception {
    keystore = dir.resolve("api.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "api", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=grapevine test", "-ext", "san=ip:127.0.0.1,dns:localhost",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finishes").isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore.toFile())) {
      ks.load(in, PASSWORD);
    }
    Key key = ks.getKey("api", PASSWORD);
    Certificate cert = ks.getCertificate("api");
    certPem = dir.resolve("api.crt");
    keyPem = dir.resolve("api.key");
    Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private ApiServer start(SSLContext tls) throws Exception {
    var registry = ClusterMetrics.registry(cluster);
    server = new ApiServer(ApiServer.bind(new InetSocketAddress("127.0.0.1", 0), tls), cluster, () -> registry,
        TOKEN, () -> Map.of("profile", "local"), Duration.ofSeconds(1), () -> {});
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String https() {
    return "https://127.0.0.1:" + server.address().getPort();
  }

  @Test
  void theCliListsMembersOverTlsFromPemFilesWithItsCaFileAndToken() throws Exception {
    start(HttpTls.serverFromPem(certPem, keyPem));
    assertThat(server.tls()).isTrue();
    Run r = cli("members", "--http", https(), "--ca-file", certPem.toString(), "--token", TOKEN);
    assertThat(r.status).as(r.err).isZero();
    assertThat(r.out).contains("n1").contains("n2");
    // The CA file alone implies HTTPS.
    Run bare = cli("members", "--http", "127.0.0.1:" + server.address().getPort(), "--ca-file", certPem.toString(),
        "--token", TOKEN);
    assertThat(bare.status).as(bare.err).isZero();
  }

  @Test
  void aWrongOrMissingTokenIsRefusedOverTls() throws Exception {
    start(HttpTls.serverFromPem(certPem, keyPem));
    Run wrong = cli("members", "--http", https(), "--ca-file", certPem.toString(), "--token", "s3cret-tokeN");
    assertThat(wrong.status).isEqualTo(1);
    assertThat(wrong.err.lines().toList()).singleElement().asString().contains("missing or wrong bearer token");
    AgentClient none = AgentClient.of(https(), null, certPem);
    assertThat(none.getAny("/v1/members").status()).isEqualTo(401);
  }

  @Test
  void theDashboardIsServedOverTlsWhileItsApiCallsStillNeedTheToken() throws Exception {
    start(HttpTls.serverFromPem(certPem, keyPem));
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .sslContext(HttpTls.clientTrusting(certPem)).build();
    var page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(https() + "/ui/")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(UiFiles.CONTENT_SECURITY_POLICY);
    assertThat(page.body()).contains("<script src=\"app.js\"");
    assertThat(AgentClient.of(https(), null, certPem).getAny("/v1/members").status()).isEqualTo(401);
  }

  @Test
  void servesFromAPkcs12Keystore() throws Exception {
    start(HttpTls.serverFromPkcs12(keystore, PASSWORD));
    AgentClient client = AgentClient.of(https(), TOKEN, certPem);
    assertThat(client.get("/v1/members").get("members")).hasSize(2);
  }

  @Test
  void plainHttpToTheTlsPortFailsCleanlyAndQuickly() throws Exception {
    start(HttpTls.serverFromPem(certPem, keyPem));
    AgentClient plain = AgentClient.of("127.0.0.1:" + server.address().getPort(), TOKEN, null);
    assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
        assertThatThrownBy(() -> plain.get("/v1/members")).isInstanceOf(AgentException.class)
            .hasMessageContaining("cannot talk to the agent")
            .hasMessageContaining("use --http https://"));
    // The server is unharmed: a TLS client still gets its answer.
    assertThat(AgentClient.of(https(), TOKEN, certPem).get("/v1/members").get("members")).hasSize(2);
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateFailsWithOneLine() throws Exception {
    start(HttpTls.serverFromPem(certPem, keyPem));
    // The JDK's default trust store does not know the test certificate.
    Run r = cli("members", "--http", https(), "--token", TOKEN);
    assertThat(r.status).isEqualTo(1);
    assertThat(r.err.lines().toList()).singleElement().asString().startsWith("error: TLS with the agent at");
  }

  @Test
  void aBadPemPathStopsTheAgentWithOneLineAndUsageExit() {
    Path missing = dir.resolve("missing.crt");
    Run r = cli("agent", "--name", "a", "--http-tls-cert", missing.toString(), "--http-tls-key", keyPem.toString());
    assertThat(r.status).isEqualTo(2);
    assertThat(r.err.lines().toList()).containsExactly("error: --http-tls-cert: " + missing + ": no such file");
  }

  @Test
  void badTlsSettingsAreOneLineEach() throws Exception {
    Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");
    assertThat(cli("agent", "--name", "a", "--http-tls-cert", certPem.toString()).err.lines().toList())
        .containsExactly("error: --http-tls-cert: PEM TLS needs both http-tls-cert (certificate chain) and"
            + " http-tls-key (PKCS#8 private key)");
    assertThat(cli("agent", "--name", "a", "--http-tls-cert", certPem.toString(), "--http-tls-key",
        notPem.toString()).err.lines().toList())
        .containsExactly("error: --http-tls-cert: " + notPem
            + ": no unencrypted PKCS#8 key found (expected -----BEGIN PRIVATE KEY-----)");
    assertThat(cli("agent", "--name", "a", "--http-tls-keystore", keystore.toString()).err.lines().toList())
        .singleElement().asString().startsWith("error: --http-tls-keystore: " + keystore + ": cannot open");
    Run badCa = cli("members", "--http", "https://127.0.0.1:1", "--ca-file", notPem.toString());
    assertThat(badCa.status).isEqualTo(2);
    assertThat(badCa.err.lines().toList()).singleElement().asString()
        .startsWith("error: --ca-file " + notPem + ": not a PEM certificate file");
  }

  private record Run(int status, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = GrapevineCommand.newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int status = cl.execute(args);
    return new Run(status, out.toString(), err.toString());
  }
}
