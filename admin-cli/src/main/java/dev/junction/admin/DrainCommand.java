package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.DrainResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code junctionctl drain NODE}: moves every replica off a node, then says it may stop. */
@Command(
    name = "drain",
    mixinStandardHelpOptions = true,
    description = {
      "Drains a node: the controller moves every replica it holds to other nodes, a few at a time",
      "(copy, join at the tail, old replica out once its read lease ran out), and no move targets it",
      "any more. Waits until it holds no replica and says it may stop; Ctrl-C stops waiting, not the",
      "drain. --cancel stops draining (replicas already moved stay where they are).",
      "Refused, changing nothing, when the node is not an up member, when too few nodes would be left",
      "for the replication factor, or when rebalancing is off."
    })
final class DrainCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NODE", description = "The node's cluster address or gRPC endpoint host:port.")
  String node;

  @Option(names = "--cancel", description = "Stop draining the node.")
  boolean cancel;

  @Mixin WaitOptions waiting;

  @Override
  int run(JunctionClient client, Codec codec) {
    DrainResponse r = client.drain(node, cancel);
    if (cancel) {
      out().printf("node %s is no longer drained; %d replica(s) on it%n", r.getNode(), r.getReplicas());
      return 0;
    }
    out().printf("draining node %s: %d replica(s) to move%n", r.getNode(), r.getReplicas());
    out().flush();
    long deadline = System.nanoTime() + waiting.maxWait.toNanos();
    int last = r.getReplicas();
    while (!waiting.noWait && r.getReplicas() > 0) {
      if (System.nanoTime() - deadline > 0) {
        out().printf("node %s still holds %d replica(s) after %s; the drain goes on (junctionctl plan shows it)%n",
            r.getNode(), r.getReplicas(), waiting.maxWait);
        return JunctionCtl.EXIT_FAILED;
      }
      try {
        Thread.sleep(waiting.every.toMillis()); // polling interval of a bounded wait
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return JunctionCtl.EXIT_FAILED;
      }
      r = client.drain(node, false);
      if (r.getReplicas() != last) {
        last = r.getReplicas();
        out().printf("  %d replica(s) left%n", last);
        out().flush();
      }
    }
    if (r.getReplicas() == 0) {
      out().printf("node %s holds no replica: it may stop%n", r.getNode());
    }
    return 0;
  }
}
