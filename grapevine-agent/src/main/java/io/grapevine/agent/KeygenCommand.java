// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import io.grapevine.security.Keys;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code grapevine keygen}: prints a new random encryption key, base64. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    versionProvider = io.grapevine.agent.GrapevineCommand.Version.class,
    description = {
      "Print a new random encryption key (base64), for 'grapevine agent --encrypt KEY'.",
      "Every node of a cluster needs the same key; keep it secret."
    })
public final class KeygenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--bits", paramLabel = "128|192|256", defaultValue = "256",
      description = "Key size: AES-128, -192 or -256 (default: ${DEFAULT-VALUE}).")
  int bits;

  @Override
  public Integer call() {
    if (bits != 128 && bits != 192 && bits != 256) {
      throw new ParameterException(spec.commandLine(), "--bits must be 128, 192 or 256, got " + bits);
    }
    spec.commandLine().getOut().println(Keys.encode(Keys.generate(bits, new SecureRandom())));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
