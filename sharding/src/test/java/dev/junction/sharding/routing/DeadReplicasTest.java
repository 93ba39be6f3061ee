package dev.junction.sharding.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.store.RangeMeta;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which replicas' data a node's store holds for good, by the routing table. */
class DeadReplicasTest {
  private static final String SELF = "n9";
  private static final int ADDED = Replacement.FIRST_ADDED_SLOT;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static RangeConfig range(long id, String start, String end, long epoch, Replica... chain) {
    return new RangeConfig(id, b(start), b(end), epoch, List.of(chain));
  }

  private static RangeMeta meta(String start, String end, int slot) {
    return new RangeMeta(1, 10, b(start), b(end), slot, 10);
  }

  private static List<String> dead(SortedMap<Long, RangeMeta> metas, RoutingTable table) {
    return DeadReplicas.find(metas, table, SELF).stream().map(d -> d.rangeId() + "." + d.slot()).toList();
  }

  @Test
  void replicasOutOfTheirChainForGoodAreDeadAndTheOthersAreNot() {
    RoutingTable table = RoutingTable.of(7, List.of(
        // 1: this node serves it (slot 2).
        range(1, "", "c", 3, new Replica(0, "n0"), new Replica(1, "n1"), new Replica(2, SELF)),
        // 2: an initial replica here was moved off (slot 2 is gone for good).
        range(2, "c", "f", 4, new Replica(0, "n0"), new Replica(1, "n1"), new Replica(ADDED + 3, "n3")),
        // 3: at epoch 5; a copy here from epoch 5 may still join, one from epoch 4 was cancelled.
        range(3, "f", "k", 5, new Replica(0, "n0"), new Replica(1, "n1"), new Replica(2, "n2")),
        // 5: a copy from an epoch this node's table has not reached yet (the table is older here).
        range(5, "k", "p", 2, new Replica(0, "n0"), new Replica(1, "n1"), new Replica(2, "n2")),
        // 6: an added replica that joined here and was moved off later.
        range(6, "p", "", 9, new Replica(0, "n0"), new Replica(1, "n1"), new Replica(ADDED + 8, "n8"))));
    SortedMap<Long, RangeMeta> metas = new TreeMap<>();
    metas.put(1L, meta("", "c", 2));
    metas.put(2L, meta("c", "f", 2));
    metas.put(3L, meta("f", "k", ADDED + 5));
    metas.put(4L, meta("a", "z", 1)); // a range the table no longer has (split or merged)
    metas.put(5L, meta("k", "p", ADDED + 6));
    metas.put(6L, meta("p", "", ADDED + 4));
    assertEquals(List.of("2.2", "4.1", "6.68"), dead(metas, table),
        "an ended range too (Leftovers spares the keys of ranges placed here, checked before each batch)");
    assertEquals(List.of(false, true, false),
        DeadReplicas.find(metas, table, SELF).stream().map(DeadReplicas.Dead::ended).toList());
    metas.put(9L, meta("a", "z", 1)); // a range newer than this node's table: it may serve here soon
    assertEquals(List.of("2.2", "4.1", "6.68"), dead(metas, table));
    metas.remove(4L);
    metas.remove(9L);

    metas.put(3L, meta("f", "k", ADDED + 4));
    assertEquals(List.of("2.2", "3.68", "6.68"), dead(metas, table), "the copy of epoch 4 can no longer join");

    metas.put(1L, meta("", "c", 0)); // slot 0 is in the chain, elsewhere: not this node's to judge
    metas.put(2L, meta("c", "f", RangeMeta.UNKNOWN_SLOT)); // written before slots were recorded
    assertEquals(List.of("3.68", "6.68"), dead(metas, table));
  }

  @Test
  void theIntervalIsTheRangesAndNothingIsDeadOnAnEmptyStore() {
    RoutingTable table = RoutingTable.of(1, List.of(range(1, "", "c", 1, new Replica(0, "n0")),
        range(2, "c", "f", 4, new Replica(0, "n0")), range(3, "f", "", 1, new Replica(0, "n0"))));
    SortedMap<Long, RangeMeta> metas = new TreeMap<>();
    assertEquals(List.of(), dead(metas, table));
    metas.put(2L, meta("c", "f", 1));
    DeadReplicas.Dead d = DeadReplicas.find(metas, table, SELF).get(0);
    assertEquals("c", new String(d.start(), StandardCharsets.UTF_8));
    assertEquals("f", new String(d.end(), StandardCharsets.UTF_8));
  }
}
