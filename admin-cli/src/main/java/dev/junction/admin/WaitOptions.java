package dev.junction.admin;

import java.time.Duration;
import picocli.CommandLine.Option;

/** How the commands that start something long (drain, move, rebalance --apply) wait for it to end. */
final class WaitOptions {
  @Option(names = "--no-wait", description = "Start it and return at once.")
  boolean noWait;

  @Option(names = "--max-wait", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "How long to wait for it to end (default: ${DEFAULT-VALUE}); it goes on afterwards.",
      defaultValue = "30m")
  Duration maxWait;

  /** How often the command asks how far it got (hidden: the tests poll faster). */
  @Option(names = "--every", paramLabel = "DURATION", converter = DurationConverter.class, hidden = true,
      defaultValue = "1s")
  Duration every;
}
