// SPDX-License-Identifier: Apache-2.0
package io.grapevine.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A library user's build: the artifacts deployed (pre-integration-test) to a file repository under
 * target/, then examples/consumer — which names Grapevine only by coordinates and the BOM — built
 * by Maven against that repository and run. Its own local repository holds what it resolved, so
 * the test can check the Grapevine jars came from the deployed ones.
 */
class ConsumerProjectIT {
  private static final String VERSION = System.getProperty("grapevine.version");
  private static final Path REPO = Path.of(System.getProperty("grapevine.testRepo"));
  private static final Path CONSUMER = Path.of(System.getProperty("grapevine.consumer"));

  @Test
  void deployedArtifactsCarrySourcesJavadocAndPoms() throws IOException {
    for (String module : List.of("grapevine-core", "grapevine-runtime", "grapevine-store")) {
      Path dir = REPO.resolve("io/grapevine/" + module + "/" + VERSION);
      assertThat(names(dir)).as(module)
          .anyMatch(n -> n.endsWith(".jar") && !n.contains("-sources") && !n.contains("-javadoc"))
          .anyMatch(n -> n.endsWith("-sources.jar"))
          .anyMatch(n -> n.endsWith("-javadoc.jar"))
          .anyMatch(n -> n.endsWith(".pom"));
    }
    assertThat(names(REPO.resolve("io/grapevine/grapevine-bom/" + VERSION))).anyMatch(n -> n.endsWith(".pom"));
    assertThat(names(REPO.resolve("io/grapevine/grapevine-parent/" + VERSION))).anyMatch(n -> n.endsWith(".pom"));
  }

  @Test
  void aConsumerProjectBuildsAndRunsAgainstTheDeployedArtifacts() throws Exception {
    Path work = Files.createDirectories(Path.of("target", "consumer-it")).toAbsolutePath();
    Path localRepo = work.resolve("m2");
    deleteTree(localRepo.resolve("io/grapevine"));
    Path classpath = work.resolve("classpath.txt");
    String mavenHome = System.getProperty("grapevine.mavenHome");
    List<String> mvn = new ArrayList<>(List.of(Path.of(mavenHome, "bin", "mvn").toString(), "-B", "-q",
        "-f", CONSUMER.resolve("pom.xml").toString(),
        "-Dgrapevine.version=" + VERSION,
        "-Dgrapevine.repo=" + REPO.toUri(),
        // Its own local repository, with the build's as a read-only tail for third-party jars, so
        // the Grapevine jars can only come from the deployed repository.
        "-Dmaven.repo.local=" + localRepo,
        "-Dmaven.repo.local.tail=" + System.getProperty("grapevine.localRepo"),
        "package", "dependency:build-classpath",
        "-Dmdep.outputFile=" + classpath));
    Result build = run(mvn, work.resolve("build.log"), 600);
    assertThat(build.exit).as("consumer build:\n" + build.output).isZero();
    assertThat(localRepo.resolve("io/grapevine/grapevine-runtime/" + VERSION)).isDirectory();

    String cp = CONSUMER.resolve("target/classes") + java.io.File.pathSeparator
        + Files.readString(classpath).trim();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Result app = run(List.of(java.toString(), "-cp", cp, "com.example.consumer.TwoNodes"), work.resolve("run.log"), 120);
    assertThat(app.exit).as("consumer run:\n" + app.output).isZero();
    assertThat(app.output).contains("consumer: 2 members alive, value replicated: hello");
  }

  record Result(int exit, String output) {}

  private static Result run(List<String> command, Path log, int timeoutSeconds) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      return new Result(-1, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  private static List<String> names(Path dir) throws IOException {
    assertThat(dir).isDirectory();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
