package dev.junction.node.management;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import dev.junction.sharding.routing.RoutingTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a node is ready for clients (what {@code /ready} answers): it is an {@code Up} member, has the
 * routing table, is not being drained or leaving, and every replica the table places on it serves here. A replica that is
 * being copied in is not in a chain yet, so it does not hold readiness back; a chain member that is still
 * catching up (or whose shard has not reached this node yet) does. Pure: the caller gathers the facts.
 */
public final class NodeReadiness {
  private NodeReadiness() {}

  /** What one replica of this node said when asked, or that it did not answer. */
  public record ReplicaAnswer(boolean answered, String runningOn, boolean serving) {
    public static final ReplicaAnswer SILENT = new ReplicaAnswer(false, "", false);
  }

  /** The replicas the table places on {@code self}. */
  public static List<ReplicaId> placedOn(RoutingTable table, String self) {
    List<ReplicaId> out = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      for (Replica r : range.chain()) {
        if (r.node().equals(self)) {
          out.add(range.replicaId(r.slot()));
        }
      }
    }
    return out;
  }

  /**
   * Why the node is not ready, or empty when it is.
   *
   * @param memberStatus this node's cluster member status ({@code Up}, {@code Joining}, …)
   * @param table the routing table, if the node has one
   * @param self this node's cluster address, as the table names nodes
   * @param leaving whether the node is being drained (junctionctl drain) or has begun to leave (SIGTERM)
   * @param answers what each replica of {@link #placedOn} answered, by replica id (a missing id: silent)
   */
  public static Optional<String> whyNot(
      String memberStatus, Optional<RoutingTable> table, String self, boolean leaving,
      Map<ReplicaId, ReplicaAnswer> answers) {
    if (leaving) {
      return Optional.of("the node is being drained (its replicas move to other nodes; it may leave after)");
    }
    if (!memberStatus.equals("Up")) {
      return Optional.of("the node is " + memberStatus + ", not Up");
    }
    if (table.isEmpty()) {
      return Optional.of("no routing table yet: the cluster is still forming");
    }
    List<String> notServing = new ArrayList<>();
    for (ReplicaId id : placedOn(table.get(), self)) {
      ReplicaAnswer a = answers.getOrDefault(id, ReplicaAnswer.SILENT);
      if (!a.answered()) {
        notServing.add(id + " (no answer)");
      } else if (!a.runningOn().equals(self)) {
        notServing.add(id + " (running on " + (a.runningOn().isEmpty() ? "no node" : a.runningOn()) + ")");
      } else if (!a.serving()) {
        notServing.add(id + " (not serving yet)");
      }
    }
    if (!notServing.isEmpty()) {
      int shown = Math.min(5, notServing.size());
      return Optional.of(notServing.size() + " replica(s) the table places here do not serve: "
          + String.join(", ", notServing.subList(0, shown)) + (shown < notServing.size() ? ", …" : ""));
    }
    return Optional.empty();
  }
}
