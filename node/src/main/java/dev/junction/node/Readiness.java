package dev.junction.node;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaState;
import java.time.Duration;
import java.util.List;

/** Whether a cluster serves, asked through its nodes' gRPC endpoints (for {@code junction local} and tests). */
public final class Readiness {
  private Readiness() {}

  /**
   * Every endpoint answers with a table whose ranges all have at least {@code rf} replicas, and every
   * replica serves on the node the table places it on (so no shard is still moving, which would drop
   * requests, and every tail can answer reads), as the first endpoint reports.
   */
  public static boolean ready(List<String> endpoints, int rf) {
    for (String endpoint : endpoints) {
      try (JunctionClient client =
          JunctionClient.builder().endpoints(endpoint).deadline(Duration.ofSeconds(5)).build()) {
        for (RangeInfo r : client.routingTable().getRangesList()) {
          if (r.getChainCount() < rf) {
            return false;
          }
        }
        if (endpoint.equals(endpoints.get(0))) {
          for (ReplicaState s : client.replicaStatus().getReplicasList()) {
            if (!s.getServing() || !s.getRunningOn().equals(s.getNode())) {
              return false;
            }
          }
        }
      } catch (JunctionException e) {
        return false;
      }
    }
    return true;
  }
}
