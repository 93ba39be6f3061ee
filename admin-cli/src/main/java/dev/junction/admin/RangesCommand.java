package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.RangeLoad;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code junctionctl ranges}: the routing table as an aligned table. */
@Command(
    name = "ranges",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the routing table.",
      "One line per range: its id, interval [START, END), epoch, keys and size (as its tail last",
      "measured them), reads and writes per second (moving averages; see junctionctl load), and",
      "replica chain from head (takes writes) to tail, each replica as slot@node. Without an",
      "answer from the controller the load columns show '-'.",
      "Text-mode bounds show bytes other than printable ASCII as \\xNN."
    })
final class RangesCommand extends ClientCommand {
  @Mixin JsonOption json;

  @Override
  int run(JunctionClient client, Codec codec) {
    RoutingTableResponse table = client.routingTable();
    if (json.print(out(), table)) {
      return 0;
    }
    Map<Long, RangeLoad> load = new HashMap<>();
    try {
      client.load().getRangesList().forEach(r -> load.put(r.getRangeId(), r));
    } catch (JunctionException e) {
      err().println("no load statistics: " + e.getMessage());
    }
    out().println(
        "routing table version " + table.getVersion() + ", " + table.getRangesCount() + " range(s)");
    TextTable text = new TextTable("RANGE", "START", "END", "EPOCH", "KEYS", "SIZE", "READS/S", "WRITES/S",
        "CHAIN (head → tail)");
    for (RangeInfo range : table.getRangesList()) {
      RangeLoad l = load.get(range.getRangeId());
      boolean sized = l != null && l.getSized();
      text.row(
          Long.toUnsignedString(range.getRangeId()),
          bound(codec, range.getStart().toByteArray(), "-inf"),
          bound(codec, range.getEnd().toByteArray(), "+inf"),
          Long.toUnsignedString(range.getEpoch()),
          sized ? Long.toUnsignedString(l.getKeys()) : "-",
          sized ? LoadCommand.size(l.getBytes()) : "-",
          l == null ? "-" : LoadCommand.rate(l.getReadsPerSecond()),
          l == null ? "-" : LoadCommand.rate(l.getWritesPerSecond()),
          chain(range.getChainList()));
    }
    text.print(out());
    return 0;
  }

  static String bound(Codec codec, byte[] bound, String open) {
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
