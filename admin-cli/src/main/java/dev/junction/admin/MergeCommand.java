package dev.junction.admin;

import dev.junction.client.JunctionClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code junctionctl merge RANGE}: a range and the range after it become one. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description = {
      "Merges range RANGE with the range after it into one new range (a new id) on RANGE's chain. Both",
      "chains must use the same nodes (junctionctl ranges shows them; junctionctl move evens them out):",
      "nothing is copied. RANGE's head seals it with a last log entry, then the next range's head ends it",
      "into the merged range, which starts from the data both left on each node. Writes to the two ranges",
      "pause for that moment; clients retry.",
      "Waits until the merge ended, printing its phases; Ctrl-C stops waiting, not the merge. Exit 1 when",
      "it did not end done. Refused, changing nothing, for an unknown range, the last range, two ranges",
      "not on the same nodes, or a range with an operator under way."
    })
final class MergeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "RANGE", description = "The left range's id (junctionctl ranges lists them).")
  long range;

  @Mixin WaitOptions waiting;

  @Override
  int run(JunctionClient client, Codec codec) {
    return Operators.startedAndFollowed(client, out(), client.merge(range), waiting);
  }
}
