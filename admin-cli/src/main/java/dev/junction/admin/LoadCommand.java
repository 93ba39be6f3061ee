package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.LoadResponse;
import dev.junction.client.proto.NodeLoad;
import dev.junction.client.proto.RangeLoad;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code junctionctl load}: the controller's load statistics per node and per range. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the load statistics the controller keeps, per node and per range: reads, writes and",
      "scans per second (moving averages of what every node's gateway counted, requests that clients",
      "routed themselves included), and the keys and bytes the replicas measured. A bar per row shows",
      "its requests per second against the busiest row. Rates need a few reports (junction.cluster.stats",
      "interval, 2 s by default) to build up; sizes are measured every stats.size-interval (30 s)."
    })
final class LoadCommand extends ClientCommand {
  @Mixin JsonOption json;

  @Override
  int run(JunctionClient client, Codec codec) {
    LoadResponse load = client.load();
    if (json.print(out(), load)) {
      return 0;
    }
    out().printf("load on routing table version %d (moving averages, half-life %.1f s)%n%n",
        load.getTableVersion(), load.getHalfLifeMillis() / 1000.0);
    double busiestNode = load.getNodesList().stream().mapToDouble(LoadCommand::requests).max().orElse(0);
    TextTable nodes = new TextTable("NODE", "REPLICAS", "HEADS", "SIZE", "READS/S", "WRITES/S", "SCANS/S", "");
    for (NodeLoad n : load.getNodesList()) {
      nodes.row(n.getGrpcEndpoint().isEmpty() ? n.getNode() : n.getNode() + " (" + n.getGrpcEndpoint() + ")",
          Integer.toString(n.getReplicas()), Integer.toString(n.getHeads()), size(n.getBytes()),
          rate(n.getReadsPerSecond()), rate(n.getWritesPerSecond()), rate(n.getScansPerSecond()),
          PlanCommand.bar(requests(n), busiestNode));
    }
    nodes.print(out());
    out().println();
    double busiestRange = load.getRangesList().stream().mapToDouble(LoadCommand::requests).max().orElse(0);
    TextTable ranges = new TextTable("RANGE", "START", "END", "HEAD", "KEYS", "SIZE", "READS/S", "WRITES/S",
        "SCANS/S", "");
    for (RangeLoad r : load.getRangesList()) {
      ranges.row(Long.toUnsignedString(r.getRangeId()),
          RangesCommand.bound(codec, r.getStart().toByteArray(), "-inf"),
          RangesCommand.bound(codec, r.getEnd().toByteArray(), "+inf"),
          r.getHead().isEmpty() ? "-" : r.getHead(),
          r.getSized() ? Long.toUnsignedString(r.getKeys()) : "?", r.getSized() ? size(r.getBytes()) : "?",
          rate(r.getReadsPerSecond()), rate(r.getWritesPerSecond()), rate(r.getScansPerSecond()),
          PlanCommand.bar(requests(r), busiestRange));
    }
    ranges.print(out());
    return 0;
  }

  private static double requests(NodeLoad n) {
    return n.getReadsPerSecond() + n.getWritesPerSecond() + n.getScansPerSecond();
  }

  private static double requests(RangeLoad r) {
    return r.getReadsPerSecond() + r.getWritesPerSecond() + r.getScansPerSecond();
  }

  /** A rate with one decimal. */
  static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%.1f", perSecond);
  }

  /** Bytes in B, KiB, MiB, GiB or TiB, with one decimal above bytes. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
