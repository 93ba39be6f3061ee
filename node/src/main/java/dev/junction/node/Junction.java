package dev.junction.node;

import dev.junction.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code junction} program. Subcommands are one class each. */
@Command(
    name = "junction",
    mixinStandardHelpOptions = true,
    version = "junction 0.1.0-SNAPSHOT",
    description = "Junction: a distributed, strongly consistent key-value store for flash storage.",
    subcommands = {
      LocalCommand.class,
      NodeCommand.class,
      StoreDemoCommand.class,
      NoopKvCommand.class,
      ClassArchiveTrainingCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Junction implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command.");
  }

  /** The command line with Junction's error handling: a store error is one line, not a stack trace. */
  public static CommandLine commandLine() {
    return new CommandLine(new Junction())
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              if (e instanceof StoreException) {
                cmd.getErr().println("junction: " + e.getMessage());
                cmd.getErr().flush();
                return 1;
              }
              throw e;
            });
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
