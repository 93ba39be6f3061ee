package dev.junction.admin;

import dev.junction.client.JunctionClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code junctionctl move RANGE --from NODE --to NODE}: one replica (or the head) of a range elsewhere. */
@Command(
    name = "move",
    mixinStandardHelpOptions = true,
    description = {
      "Moves range RANGE's replica on --from to --to: the controller copies the range to the target over",
      "the bulk path, adds it at the tail of the chain, and takes the old replica out once its read lease",
      "ran out; clients are served throughout. When --to holds a replica of the range already and --from",
      "is its head, the head moves instead (the chain is reordered; nothing is copied).",
      "Waits until the move ended, printing its phases; Ctrl-C stops waiting, not the move",
      "(junctionctl operators ID --cancel cancels it). Exit 1 when it did not end done.",
      "Refused, changing nothing, for an unknown range, a source without a replica of it, a target that is",
      "not an up member or is drained, or a range with a move under way. With rebalancing on, the planner",
      "may later move the replica again."
    })
final class MoveCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "RANGE", description = "The range id (junctionctl ranges lists them).")
  long range;

  @Option(names = "--from", required = true, paramLabel = "NODE",
      description = "The node that holds the replica: cluster address or gRPC endpoint host:port.")
  String from;

  @Option(names = "--to", required = true, paramLabel = "NODE",
      description = "The node to move it to: cluster address or gRPC endpoint host:port.")
  String to;

  @Mixin WaitOptions waiting;

  @Override
  int run(JunctionClient client, Codec codec) {
    return Operators.startedAndFollowed(client, out(), client.move(range, from, to), waiting);
  }
}
