package dev.junction.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.ReplicaId;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What {@code /ready} answers, from the facts a node gathers. */
class NodeReadinessTest {
  private static final String A = "pekko://junction@127.0.0.1:1";
  private static final String B = "pekko://junction@127.0.0.1:2";
  private static final String C = "pekko://junction@127.0.0.1:3";
  private static final String D = "pekko://junction@127.0.0.1:4";

  /** Two ranges on a, b, c (replication factor 3). */
  private static final RoutingTable TABLE =
      RoutingTable.initial(List.of("m".getBytes(StandardCharsets.UTF_8)), List.of(A, B, C), 3);

  private static Map<ReplicaId, NodeReadiness.ReplicaAnswer> serving(String node) {
    Map<ReplicaId, NodeReadiness.ReplicaAnswer> answers = new HashMap<>();
    for (ReplicaId id : NodeReadiness.placedOn(TABLE, node)) {
      answers.put(id, new NodeReadiness.ReplicaAnswer(true, node, true));
    }
    return answers;
  }

  @Test
  void aNodeIsReadyWhenUpWithTheTableAndEveryReplicaPlacedOnItServingThere() {
    assertEquals(2, NodeReadiness.placedOn(TABLE, B).size(), "one replica of each range");
    assertEquals(Optional.empty(), NodeReadiness.whyNot("Up", Optional.of(TABLE), B, false, serving(B)));
    // A node the table places nothing on (a new one, before it gets its share) serves as a gateway.
    assertEquals(Optional.empty(), NodeReadiness.whyNot("Up", Optional.of(TABLE), D, false, Map.of()));
  }

  @Test
  void itIsNotReadyWhileJoiningWithoutTableOrLeavingAndSaysWhy() {
    assertTrue(NodeReadiness.whyNot("Joining", Optional.of(TABLE), B, false, serving(B)).orElseThrow()
        .contains("Joining, not Up"));
    assertTrue(NodeReadiness.whyNot("Up", Optional.empty(), B, false, Map.of()).orElseThrow()
        .contains("no routing table"));
    assertTrue(NodeReadiness.whyNot("Up", Optional.of(TABLE), B, true, serving(B)).orElseThrow()
        .contains("being drained"));
  }

  @Test
  void aReplicaThatIsSilentElsewhereOrNotServingHoldsReadinessBackAndIsNamed() {
    List<ReplicaId> placed = NodeReadiness.placedOn(TABLE, B);
    Map<ReplicaId, NodeReadiness.ReplicaAnswer> answers = serving(B);
    answers.put(placed.get(0), new NodeReadiness.ReplicaAnswer(true, B, false));
    String why = NodeReadiness.whyNot("Up", Optional.of(TABLE), B, false, answers).orElseThrow();
    assertTrue(why.startsWith("1 replica(s)") && why.contains(placed.get(0) + " (not serving yet)"), why);

    answers.put(placed.get(0), new NodeReadiness.ReplicaAnswer(true, A, true));
    answers.remove(placed.get(1));
    why = NodeReadiness.whyNot("Up", Optional.of(TABLE), B, false, answers).orElseThrow();
    assertTrue(why.startsWith("2 replica(s)"), why);
    assertTrue(why.contains(placed.get(0) + " (running on " + A + ")"), why);
    assertTrue(why.contains(placed.get(1) + " (no answer)"), why);
  }
}
