package dev.junction.admin;

import dev.junction.client.JunctionClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code junctionctl split RANGE [--at KEY]}: one range becomes two, on the same chain. */
@Command(
    name = "split",
    mixinStandardHelpOptions = true,
    description = {
      "Splits range RANGE in two: [start, KEY) and [KEY, end), each with a new range id, both on the",
      "range's chain. Without --at, KEY is the key near the middle of the range's bytes, as its tail last",
      "measured it (junctionctl ranges shows the sizes). Nothing is copied: the range's head ends it with",
      "a last log entry and, once that committed, the routing table names the two new ranges, which start",
      "from the data their replicas hold. Writes to the range pause for that moment; clients retry.",
      "Waits until the split ended, printing its phases; Ctrl-C stops waiting, not the split. Exit 1 when",
      "it did not end done. Refused, changing nothing, for an unknown range, a key not strictly inside it",
      "(its start is no split point), a range not measured yet when --at is not given, or a range with an",
      "operator under way."
    })
final class SplitCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "RANGE", description = "The range id (junctionctl ranges lists them).")
  long range;

  @Option(names = "--at", paramLabel = "KEY",
      description = "The first key of the right part (text, or hex with --hex); default: near the middle.")
  String at;

  @Mixin WaitOptions waiting;

  @Override
  int run(JunctionClient client, Codec codec) {
    byte[] key = at == null ? new byte[0] : parse(codec, at, "--at");
    if (at != null && key.length == 0) {
      throw usage("--at: a split key is not empty");
    }
    return Operators.startedAndFollowed(client, out(), client.split(range, key), waiting);
  }
}
