package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableResponse;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code junctionctl ranges}: the routing table as an aligned table. */
@Command(
    name = "ranges",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the routing table.",
      "One line per range: its id, interval [START, END), epoch and replica chain from head",
      "(takes writes) to tail (serves reads), each replica as slot@node.",
      "Text-mode bounds show bytes other than printable ASCII as \\xNN."
    })
final class RangesCommand extends ClientCommand {
  @Override
  int run(JunctionClient client, Codec codec) {
    RoutingTableResponse table = client.routingTable();
    out().println(
        "routing table version " + table.getVersion() + ", " + table.getRangesCount() + " range(s)");
    TextTable text = new TextTable("RANGE", "START", "END", "EPOCH", "CHAIN (head → tail)");
    for (RangeInfo range : table.getRangesList()) {
      text.row(
          Long.toUnsignedString(range.getRangeId()),
          bound(codec, range.getStart().toByteArray(), "-inf"),
          bound(codec, range.getEnd().toByteArray(), "+inf"),
          Long.toUnsignedString(range.getEpoch()),
          chain(range.getChainList()));
    }
    text.print(out());
    return 0;
  }

  private static String bound(Codec codec, byte[] bound, String open) {
    return bound.length == 0 ? open : codec.label(bound);
  }

  /** {@code 0@a (head) → 1@b → 2@c (tail)}; a lone replica is {@code (head, tail)}. */
  static String chain(List<ReplicaInfo> chain) {
    if (chain.isEmpty()) {
      return "(no replicas)";
    }
    List<String> replicas = new ArrayList<>();
    for (int i = 0; i < chain.size(); i++) {
      ReplicaInfo r = chain.get(i);
      replicas.add(Integer.toUnsignedString(r.getSlot()) + "@" + r.getNode() + role(i, chain.size()));
    }
    return String.join(" → ", replicas);
  }

  private static String role(int position, int length) {
    if (length == 1) {
      return " (head, tail)";
    }
    if (position == 0) {
      return " (head)";
    }
    return position == length - 1 ? " (tail)" : "";
  }
}
