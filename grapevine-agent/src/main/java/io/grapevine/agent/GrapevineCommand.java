// SPDX-License-Identifier: Apache-2.0
package io.grapevine.agent;

import io.grapevine.agent.client.AgentClient.AgentException;
import io.grapevine.agent.client.ClientCommands;
import io.grapevine.agent.client.DataCommands;
import io.grapevine.agent.demo.DemoCommand;
import java.io.PrintWriter;
import java.util.List;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code grapevine} command: runs an agent, drives a running one over its HTTP API, or plays the
 * demo. Bad flags, bad settings and requests the agent refuses as malformed print one line on stderr
 * and exit with status 2; a failure talking to an agent (or an operation that failed) exits with 1.
 */
@Command(
    name = "grapevine",
    mixinStandardHelpOptions = true,
    versionProvider = GrapevineCommand.Version.class,
    description = "Gossip membership for the JVM: run an agent, inspect and drive a cluster, or watch the demo.",
    commandListHeading = "%nCommands:%n",
    subcommands = {
      AgentCommand.class,
      KeygenCommand.class,
      ClientCommands.Members.class,
      ClientCommands.Join.class,
      ClientCommands.Leave.class,
      ClientCommands.ForceLeave.class,
      ClientCommands.Info.class,
      io.grapevine.agent.client.OperatorCommands.Tags.class,
      io.grapevine.agent.client.OperatorCommands.Rtt.class,
      io.grapevine.agent.client.KeysCommands.Keys.class,
      io.grapevine.agent.client.QueryCommand.class,
      io.grapevine.agent.client.OperatorCommands.Monitor.class,
      io.grapevine.agent.client.OperatorCommands.LogLevel.class,
      DataCommands.Event.class,
      DataCommands.Aggregate.class,
      DataCommands.Tree.class,
      DataCommands.Kv.class,
      DemoCommand.class,
      io.grapevine.sim.SimulateCommand.class,
      CommandLine.HelpCommand.class,
      AutoComplete.GenerateCompletion.class
    })
public final class GrapevineCommand implements Runnable {
  /** Exit status for bad flags or settings. */
  public static final int EXIT_USAGE = 2;
  /** Exit status for a failed operation (agent unreachable, join failed, ...). */
  public static final int EXIT_FAILURE = 1;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a command");
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("agent")) {
      System.exit(agentCommandLine().execute(args));
    }
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line; tests call {@code execute} on it with their own writers. */
  public static CommandLine newCommandLine() {
    CommandLine cl = handlers(new CommandLine(new GrapevineCommand()));
    // The completion script command is for shells, not for the listing.
    cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(true);
    return cl;
  }

  /**
   * {@code grapevine} with the {@code agent} command only: parses {@code agent ...} exactly as
   * {@link #newCommandLine()} does. A long-running agent started this way never loads the other
   * commands and the classes their options and results need (the JSON data-binding library among
   * them), which would stay resident for the life of the process (docs/benchmarks.md, "Agent
   * footprint").
   */
  public static CommandLine agentCommandLine() {
    CommandLine cl = new CommandLine(new AgentOnly());
    cl.addSubcommand("agent", new AgentCommand());
    return handlers(cl);
  }

  /** The root of {@link #agentCommandLine()}: named as the full command, so messages read the same. */
  @Command(name = "grapevine")
  static final class AgentOnly implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing a command");
    }
  }

  private static CommandLine handlers(CommandLine cl) {
    cl.setParameterExceptionHandler(GrapevineCommand::badUsage);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> failed(e, commandLine));
    return cl;
  }

  private static int badUsage(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    String message = firstLine(e.getMessage());
    if (e instanceof UnmatchedArgumentException u) {
      List<String> suggestions = new java.util.ArrayList<>(u.getSuggestions());
      if (suggestions.isEmpty()) {
        suggestions.addAll(nearOptions(cmd, u.getUnmatched()));
      }
      if (!suggestions.isEmpty()) {
        message += " (did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size()))) + "?)";
      }
    }
    err.println("error: " + message + "; see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
    err.flush();
    return EXIT_USAGE;
  }

  /** Option names within two edits of a mistyped option, e.g. --nmae to --name. */
  static List<String> nearOptions(CommandLine cmd, List<String> unmatched) {
    List<String> near = new java.util.ArrayList<>();
    for (String arg : unmatched) {
      if (!arg.startsWith("-")) {
        continue;
      }
      String typed = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      for (String option : cmd.getCommandSpec().optionsMap().keySet()) {
        if (option.startsWith("--") && io.grapevine.config.Spelling.editDistance(typed, option) <= 2 && !near.contains(option)) {
          near.add(option);
        }
      }
    }
    return near;
  }

  private static int failed(Exception e, CommandLine cmd) {
    PrintWriter err = cmd.getErr();
    int status;
    if (e instanceof SettingsException s) {
      for (String problem : s.problems()) {
        err.println("error: " + problem);
      }
      status = EXIT_USAGE;
    } else if (e instanceof AgentException) {
      err.println("error: " + e.getMessage());
      // The agent refusing the request as malformed means the command's input was wrong.
      status = e instanceof io.grapevine.agent.client.AgentClient.BadRequestException ? EXIT_USAGE : EXIT_FAILURE;
    } else {
      err.println("error: " + (e.getMessage() == null ? e.toString() : firstLine(e.getMessage())));
      if (System.getenv("GRAPEVINE_DEBUG") != null) {
        e.printStackTrace(err);
      }
      status = EXIT_FAILURE;
    }
    err.flush();
    return status;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }

  /** The version from the jar's manifest. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = GrapevineCommand.class.getPackage().getImplementationVersion();
      return new String[] {"grapevine " + (v == null ? "(development build)" : v)};
    }
  }
}
