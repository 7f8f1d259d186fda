// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grapevine.Cluster;
import io.grapevine.agent.e2e.AgentHarness.Agent;
import io.grapevine.agent.e2e.AgentHarness.Run;
import io.grapevine.config.MembershipConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard at /ui/ in a real headless Chromium (the system's chromium and chromedriver; the
 * tests are skipped where there is none), against real agent processes: the page follows the
 * cluster live, without reloads.
 */
class DashboardIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private AgentHarness h;
  private ChromeDriver browser;
  private Path profile;
  private final List<Cluster> nodes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
        "no " + CHROMIUM + " here (Debian packages chromium and chromium-driver): the dashboard's browser tests"
            + " are skipped");
    assertThat(Files.isExecutable(CHROMEDRIVER))
        .as(CHROMIUM + " is here but not " + CHROMEDRIVER + ": install the Debian package chromium-driver").isTrue();
    h = new AgentHarness("e2e-dashboard");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    nodes.parallelStream().forEach(Cluster::close);
    if (h != null) {
      h.close();
    }
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Chromium through the system's chromedriver, both by path: nothing is looked up or downloaded. */
  private ChromeDriver openBrowser() throws Exception {
    profile = Files.createTempDirectory("grapevine-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // Without the background-networking switches Chromium keeps trying hosts off this machine.
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1400,1250");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .withLogFile(h.work.resolve("chromedriver.log").toFile())
        .build();
    browser = new ChromeDriver(service, options);
    return browser;
  }

  /** The state shown in the member table for {@code name}, or null when it has no row. */
  private String stateShown(String name) {
    return text("#members tbody tr[data-name='" + name + "'] td.state");
  }

  /**
   * The rendered text of the first element matching {@code css}, or null: read in one script, since
   * the page redraws its tables and lists at any moment and an element found first and read after
   * may no longer be in the page. Spaces and tabs are collapsed to one space, as WebDriver's text.
   */
  private String text(String css) {
    // innerText separates table cells with tabs where WebDriver's text has one space.
    Object t = js("const e = document.querySelector(arguments[0]); return e === null ? null"
        + " : e.innerText.replace(/[ \\t\\u00a0]+/g, ' ').replace(/ ?\\n ?/g, '\\n').trim();", css);
    return (String) t;
  }

  private int rowsShown() {
    return browser.findElements(By.cssSelector("#members tbody tr")).size();
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private void screenshot(String name) throws Exception {
    Files.write(h.work.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
  }

  private static void awaitApi(Agent a) {
    await("API of " + a.name()).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> {
          try (java.net.Socket s = new java.net.Socket("127.0.0.1", a.httpPort())) {
            return s.isConnected();
          }
        });
  }

  @Test
  void showsThreeAgentsLiveThenADeathAndAnEventWithoutReload() throws Exception {
    int[] p = AgentProcessIT.freePorts(6);
    Agent a = h.start("ui-a", p[0], p[1], "--config", h.fastConfig("ui-a"), "--meta", "role=seed",
        "--coordinates", "on");
    Agent b = h.start("ui-b", p[2], p[3], "--join", a.gossip(), "--config", h.fastConfig("ui-b"), "--coordinates", "on");
    Agent c = h.start("ui-c", p[4], p[5], "--join", a.gossip(), "--config", h.fastConfig("ui-c"), "--meta", "zone=z1",
        "--coordinates", "on");
    awaitApi(a);
    openBrowser();

    browser.get("http://" + a.http() + "/");
    assertThat(browser.getCurrentUrl()).as("/ redirects to the dashboard").endsWith("/ui/");
    // Set once: still there at the end only if the page was never reloaded.
    js("window.loadedOnce = 'yes'");
    await("three alive on the page").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          assertThat(stateShown("ui-a")).isEqualTo("alive");
          assertThat(stateShown("ui-b")).isEqualTo("alive");
          assertThat(stateShown("ui-c")).isEqualTo("alive");
        });
    assertThat(text("#members tr[data-name='ui-c'] td.tags"))
        .isEqualTo("zone=z1");
    assertThat(text("#members tr[data-name='ui-c'] td.address"))
        .isEqualTo(c.gossip());
    assertThat(browser.findElement(By.id("conn")).isDisplayed()).isFalse();
    // These agents run without the tree and the overlay: once /v1/info has said so, no panel for them.
    await("node info read").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> assertThat(text("#info")).contains("full-membership"));
    assertThat(browser.findElement(By.id("tree-panel")).isDisplayed()).as("tree panel").isFalse();
    assertThat(browser.findElement(By.id("overlay-panel")).isDisplayed()).as("overlay panel").isFalse();
    // With coordinates on, the RTT to each other member, estimated from them (read every 10 s).
    await("RTT shown").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> assertThat(browser.findElement(By.cssSelector("#members tr[data-name='ui-b'] td.rtt"))
            .getText()).matches("\\d+\\.\\d\\d ms"));
    assertThat(browser.findElement(By.id("rtt-head")).isDisplayed()).isTrue();

    c.process().destroyForcibly(); // SIGKILL: no leave, the others must detect the crash
    assertThat(c.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    await("ui-c dead on the page, no reload").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> assertThat(stateShown("ui-c")).isEqualTo("dead"));
    assertThat(stateShown("ui-b")).isEqualTo("alive");

    Run sent = h.cli("event", "send", "deploy", "v42 rolled out", "--http", b.http());
    assertThat(sent.exit()).as(sent.err()).isZero();
    await("the event in the feed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() ->
            assertThat(text("#feed")).contains("deploy \"v42 rolled out\" from ui-b"));
    assertThat(text("#feed")).contains("dead ui-c " + c.gossip());

    // Replicated maps: browse a map, then watch it while another node writes.
    Run put = h.cli("kv", "put", "flags", "dark-mode", "on", "--http", b.http());
    assertThat(put.exit()).as(put.err()).isZero();
    browser.findElement(By.id("kv-map")).sendKeys("flags");
    await("map browsed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
        .untilAsserted(() -> {
          browser.findElement(By.cssSelector("#kv-form button[type=submit]")).click();
          assertThat(text("#kv")).contains("dark-mode on");
        });
    browser.findElement(By.id("kv-watch")).click();
    await("watching").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> browser.findElement(By.id("kv-unwatch")).isDisplayed());
    Run aggregate = h.cli("aggregate", "set", "load", "0.7", "--http", a.http());
    assertThat(aggregate.exit()).as(aggregate.err()).isZero();
    Run change = h.cli("kv", "put", "flags", "beta", "off", "--http", b.http());
    assertThat(change.exit()).as(change.err()).isZero();
    await("change in the watch").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() ->
            assertThat(text("#kv-changes")).contains("beta off"));
    await("aggregate shown").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() ->
            assertThat(text("#aggregates")).contains("load"));

    assertThat(js("return window.loadedOnce")).as("the page was not reloaded").isEqualTo("yes");
    screenshot("dashboard-three-agents.png");
  }

  @Test
  void treeAndOverlayPanelsShowTheClusterWideTotalsAndTheOverlayViews() throws Exception {
    int[] p = AgentProcessIT.freePorts(6);
    String[] features = {"--tree", "on", "--overlay", "hyparview-plumtree"};
    String config = h.fastConfig("tree", "ring.round-interval=300ms");
    Agent a = h.start("tr-a", p[0], p[1], cat(features, "--config", config));
    Agent b = h.start("tr-b", p[2], p[3], cat(features, "--config", config, "--join", a.gossip()));
    Agent c = h.start("tr-c", p[4], p[5], cat(features, "--config", config, "--join", a.gossip()));
    awaitApi(a);
    awaitApi(b);
    awaitApi(c);
    // Each node's contribution, set with the command line: the tree's SUM is exact, 1 + 2 + 4.5.
    setTreeValue(a, "1");
    setTreeValue(b, "2");
    setTreeValue(c, "4.5");
    openBrowser();
    browser.get("http://" + a.http() + "/ui/");
    js("window.loadedOnce = 'yes'");
    await("tree totals on the page").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          assertThat(browser.findElement(By.id("tree-panel")).isDisplayed()).isTrue();
          assertThat(text("#tree-count")).isEqualTo("3");
          assertThat(text("#tree-sum")).isEqualTo("7.5");
        });
    assertThat(text("#tree")).contains("value here\n1", "subtree of");
    // The value set from the page reaches the totals: 10 + 2 + 4.5.
    browser.findElement(By.id("tree-value")).sendKeys("10\n");
    await("new sum").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .untilAsserted(() -> assertThat(text("#tree-sum")).isEqualTo("16.5"));
    assertThat(text("#tree-count")).isEqualTo("3");

    await("overlay views on the page").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          assertThat(browser.findElement(By.id("overlay-panel")).isDisplayed()).isTrue();
          assertThat(Integer.parseInt(text("#overlay-active"))).isPositive();
          assertThat(Integer.parseInt(text("#overlay-eager"))
              + Integer.parseInt(text("#overlay-lazy"))).isPositive();
        });
    Run sent = h.cli("event", "send", "deploy", "over the overlay", "--http", b.http());
    assertThat(sent.exit()).as(sent.err()).isZero();
    await("the event in the feed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() ->
            assertThat(text("#feed")).contains("deploy \"over the overlay\" from tr-b"));
    await("delivery counted").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() ->
            assertThat(text("#overlay")).contains("events delivered\n1"));
    assertThat(js("return window.loadedOnce")).as("the page was not reloaded").isEqualTo("yes");
    screenshot("dashboard-tree-overlay.png");
  }

  private void setTreeValue(Agent agent, String value) throws Exception {
    Run r = h.cli("tree", "set", value, "--http", agent.http());
    assertThat(r.exit()).as(r.err()).isZero();
  }

  private static String[] cat(String[] first, String... rest) {
    return Stream.concat(Stream.of(first), Stream.of(rest)).toArray(String[]::new);
  }

  @Test
  void hundredMembersStayResponsiveAndThePageReconnectsAfterARestart() throws Exception {
    int[] p = AgentProcessIT.freePorts(2);
    String token = "ui-test-token-7f3c";
    String config = h.fastConfig("ui-hub", "http-token=" + token);
    Agent hub = h.start("ui-hub", p[0], p[1], "--config", config);
    // 99 more members in this JVM, each a real node on its own loopback port.
    List<CompletableFuture<?>> joins = new ArrayList<>();
    for (int i = 1; i <= 99; i++) {
      Cluster n = Cluster.builder().name(String.format("m-%03d", i)).clusterName("grapevine").bind("127.0.0.1:0")
          .config(MembershipConfig.local()).metadata(("zone=z" + (i % 3)).getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .start();
      nodes.add(n);
    }
    awaitApi(hub);
    for (Cluster n : nodes) {
      joins.add(n.join(List.of(hub.gossip())));
    }
    CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    openBrowser();

    long opened = System.nanoTime();
    browser.get("http://" + hub.http() + "/ui/");
    js("window.loadedOnce = 'yes'");
    // The agent wants its token: the page asks once and keeps it for the tab.
    await("token form").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
        .until(() -> browser.findElement(By.id("token-form")).isDisplayed());
    browser.findElement(By.id("token-input")).sendKeys(token + "\n");
    await("100 members listed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> {
          assertThat(rowsShown()).isEqualTo(100);
          assertThat(browser.findElements(By.xpath("//tbody/tr/td[@class='state state-alive']"))).hasSize(100);
        });
    long listedMs = (System.nanoTime() - opened) / 1_000_000;

    long typed = System.nanoTime();
    browser.findElement(By.id("filter")).sendKeys("m-042");
    await("filter applied").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
        .until(() -> rowsShown() == 1);
    long filterMs = (System.nanoTime() - typed) / 1_000_000;
    browser.findElement(By.cssSelector("#members tr[data-name='m-042']")).click();
    await("member detail").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
        assertThat(text("#detail-name")).isEqualTo("m-042"));
    assertThat(text("#detail-fields")).contains("zone=z0");
    browser.findElement(By.id("filter")).clear();
    js("document.getElementById('filter').dispatchEvent(new Event('input'))");
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> rowsShown() == 100);
    // The feed is bounded: 600 events through the API (8 requests at a time), the page keeps 500,
    // and after one more, still 500 with that one first.
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    long burst = System.nanoTime();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(8);
    List<CompletableFuture<java.net.http.HttpResponse<String>>> posts = new ArrayList<>();
    for (int i = 0; i <= 600; i++) {
      if (i == 600) {
        CompletableFuture.allOf(posts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      inFlight.acquire();
      posts.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://" + hub.http() + "/v1/events/burst"))
          .header("Authorization", "Bearer " + token)
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(i == 600 ? "last" : "n" + i)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> inFlight.release()));
    }
    for (var post : posts) {
      assertThat(post.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    System.out.printf("dashboard: 601 events posted in %d ms%n", (System.nanoTime() - burst) / 1_000_000);
    await("feed capped").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(text("#feed li:first-child")).contains("burst \"last\"");
      assertThat(browser.findElements(By.cssSelector("#feed li"))).hasSize(500);
    });
    System.out.printf("dashboard: feed capped %d ms after the first post%n", (System.nanoTime() - burst) / 1_000_000);
    System.out.printf("dashboard: 100 members listed %d ms after opening the page; filter applied in %d ms%n",
        listedMs, filterMs);
    screenshot("dashboard-hundred-members.png");

    // The agent stops (gracefully) and comes back on the same ports: the page shows it is down,
    // then reconnects by itself, reads the members afresh and needs no new token.
    String incarnation = text("#members tr[data-name='ui-hub'] td.incarnation");
    hub.process().destroy();
    assertThat(hub.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    await("disconnected banner").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
        .until(() -> browser.findElement(By.id("conn")).isDisplayed());
    Agent again = h.start("ui-hub", p[0], p[1], "--config", config, "--join", nodes.get(0).endpoint().toString());
    await("reconnected").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
        .until(() -> !browser.findElement(By.id("conn")).isDisplayed());
    // Read afresh at the reconnection, well before the page's 30 s safety re-read.
    await("current members").atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          assertThat(rowsShown()).isEqualTo(100);
          assertThat(stateShown("ui-hub")).isEqualTo("alive");
          assertThat(text("#members tr[data-name='ui-hub'] td.incarnation"))
              .isNotEqualTo(incarnation);
        });
    assertThat(again.process().isAlive()).isTrue();
    assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isFalse();
    assertThat(js("return window.loadedOnce")).as("the page was not reloaded").isEqualTo("yes");
  }
}
