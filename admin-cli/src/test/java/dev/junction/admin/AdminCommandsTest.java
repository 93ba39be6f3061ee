package dev.junction.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import dev.junction.client.fake.FakeAdmin;
import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.Member;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ranges and status against a fake endpoint on loopback. */
class AdminCommandsTest {
  private final FakeServer server = FakeServer.onLoopback(new FakeStore());
  private final Ctl ctl = Ctl.at(server.endpoint());

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void replicasPrintsEachReplicaAndFailsWhenOneIsNotServing() {
    String expected =
        """
        routing table version 7, 3 replica(s)
        RANGE  SLOT  NODE                              STATE      ROLE  EPOCH  PERSISTED  COMMITTED
        1      0     pekko://junction@127.0.0.1:25520  serving    head  3      12         11
        1      1     pekko://junction@127.0.0.1:25521  serving    tail  3      11         11
        1      2     pekko://junction@127.0.0.1:25522  no answer  -     -      -          -
        """;
    assertEquals(new Ctl.Result(1, expected, ""), ctl.run("replicas"));
  }

  @Test
  void planPrintsTheMovesTheRejectedOnesTheNodesAndWhatIsUnderWay() {
    String expected =
        """
        plan on routing table version 9; rebalancing is on (the controller carries plans out)
        highest node utilization 0.500 now, 0.400 after the moves; lower bound 0.375

        moves: 1
        RANGE  KIND  FROM                              TO                                WHY
        2      head  pekko://junction@127.0.0.1:25520  pekko://junction@127.0.0.1:25522  node A is above the mean

        rejected: 1
        RANGE  KIND     FROM                              TO                                WHY NOT
        1      replica  pekko://junction@127.0.0.1:25521  pekko://junction@127.0.0.1:25522  gains too little

        nodes: 3
        NODE                              UTILIZATION AFTER
        pekko://junction@127.0.0.1:25520  0.400              ####################
        pekko://junction@127.0.0.1:25521  0.200              ##########
        pekko://junction@127.0.0.1:25522  0.400              ####################

        under way: 1
        ID  RANGE  KIND     FROM                              TO                                PHASE    FOR
        3   4      replica  pekko://junction@127.0.0.1:25520  pekko://junction@127.0.0.1:25521  copying  2.3s
        """;
    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("plan"));
  }

  @Test
  void drainWaitsUntilTheNodeHoldsNoReplica() {
    String expected =
        """
        draining node pekko://junction@127.0.0.1:25522: 2 replica(s) to move
          1 replica(s) left
          0 replica(s) left
        node pekko://junction@127.0.0.1:25522 holds no replica: it may stop
        """;
    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("drain", "127.0.0.1:7072", "--every", "10ms"));
  }

  @Test
  void drainOfANodeThatIsNotAMemberFailsWithTheReason() {
    Ctl.Result r = ctl.run("drain", "127.0.0.1:9999");
    assertEquals(1, r.exit());
    assertEquals("junctionctl: FAILED_PRECONDITION: node 127.0.0.1:9999 is not an up member\n", r.err());
  }

  @Test
  void moveStartsTheMoveAndFollowsItsPhasesUntilItIsDone() {
    String expected =
        """
        move 5 of range 1: replica 127.0.0.1:7071 → 127.0.0.1:7070: started (copying)
          move 5 of range 1: replica 127.0.0.1:7071 → 127.0.0.1:7070: copying
          move 5 of range 1: replica 127.0.0.1:7071 → 127.0.0.1:7070: joining
          move 5 of range 1: replica 127.0.0.1:7071 → 127.0.0.1:7070: done
        """;
    assertEquals(new Ctl.Result(0, expected, ""),
        ctl.run("move", "1", "--from", "127.0.0.1:7071", "--to", "127.0.0.1:7070", "--every", "10ms"));
  }

  @Test
  void moveOfAnUnknownRangeFailsWithTheReasonAndAMoveNeedsBothNodes() {
    assertEquals(new Ctl.Result(1, "", "junctionctl: FAILED_PRECONDITION: there is no range 9\n"),
        ctl.run("move", "9", "--from", "a", "--to", "b"));
    Ctl.Result r = ctl.run("move", "1", "--from", "a");
    assertEquals(2, r.exit());
    assertEquals(true, r.err().startsWith("junctionctl: Missing required option: '--to=NODE'"), r.err());
  }

  @Test
  void splitStartsTheSplitAndFollowsItUntilItIsDoneAndRefusalsSayWhy() {
    String expected =
        """
        split 7 of range 1: split at 'c' into 10 and 11: started (reserving)
          split 7 of range 1: split at 'c' into 10 and 11: reserving
          split 7 of range 1: split at 'c' into 10 and 11: sealing
          split 7 of range 1: split at 'c' into 10 and 11: done
        """;
    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("split", "1", "--at", "c", "--every", "10ms"));
    assertEquals(new Ctl.Result(0, "split 7 of range 1: split at 'g' into 10 and 11: started (reserving)\n", ""),
        ctl.run("split", "1", "--no-wait"), "without --at the controller picks the middle");
    assertEquals(new Ctl.Result(0, "split 7 of range 1: split at 'ab' into 10 and 11: started (reserving)\n", ""),
        ctl.run("--hex", "split", "1", "--at", "6162", "--no-wait"));
    assertEquals(new Ctl.Result(1, "", "junctionctl: FAILED_PRECONDITION: 'q' is not strictly inside range 1\n"),
        ctl.run("split", "1", "--at", "q"));
    assertEquals(new Ctl.Result(1, "", "junctionctl: FAILED_PRECONDITION: there is no range 9\n"),
        ctl.run("split", "9"));
    Ctl.Result empty = ctl.run("split", "1", "--at", "");
    assertEquals(2, empty.exit());
    assertEquals(true, empty.err().startsWith("junctionctl: --at: a split key is not empty"), empty.err());
  }

  @Test
  void mergeStartsTheMergeAndFollowsItUntilItIsDone() {
    String expected =
        """
        merge 8 of range 1: merge with 2 into 12: started (reserving)
          merge 8 of range 1: merge with 2 into 12: reserving
          merge 8 of range 1: merge with 2 into 12: merging
          merge 8 of range 1: merge with 2 into 12: done
        """;
    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("merge", "1", "--every", "10ms"));
    assertEquals(new Ctl.Result(1, "", "junctionctl: FAILED_PRECONDITION: range 9 is the last range: it has no range"
        + " after it to merge with\n"), ctl.run("merge", "9"));
  }

  @Test
  void rebalanceShowsThePlanAndWithApplyFollowsTheStartedMovesWithABar() {
    String plan =
        """
        1 move(s) planned on routing table version 9 (highest utilization 0.500 now, 0.400 after; lower bound 0.375)
          range 2: head pekko://junction@127.0.0.1:25520 → pekko://junction@127.0.0.1:25522 (node A is above the mean)
        junctionctl rebalance --apply starts them now
        """;
    assertEquals(new Ctl.Result(0, plan, ""), ctl.run("rebalance"));
    String applied =
        """
        move 6 of range 2: head pekko://junction@127.0.0.1:25520 → pekko://junction@127.0.0.1:25522: started
        [....................] 0/1 moves ended
        [####################] 1/1 moves ended
        every move done
        """;
    assertEquals(new Ctl.Result(0, applied, ""), ctl.run("rebalance", "--apply", "--every", "10ms"));
  }

  @Test
  void operatorsListsShowsAndCancels() {
    String list =
        """
        under way: 1
        ID  RANGE  KIND     FROM                              TO                                PHASE    FOR
        3   4      replica  pekko://junction@127.0.0.1:25520  pekko://junction@127.0.0.1:25521  copying  2.3s

        ended lately: 0
        """;
    assertEquals(new Ctl.Result(0, list, ""), ctl.run("operators"));
    assertEquals(new Ctl.Result(0, "move 3 of range 4: replica pekko://junction@127.0.0.1:25520 →"
        + " pekko://junction@127.0.0.1:25521: copying for 2.3s ()\n", ""), ctl.run("operators", "3"));
    assertEquals(new Ctl.Result(0, "move 3 of range 4: replica pekko://junction@127.0.0.1:25520 →"
        + " pekko://junction@127.0.0.1:25521: cancelled\n", ""), ctl.run("operators", "3", "--cancel"));
    assertEquals(new Ctl.Result(1, "", "junctionctl: NOT_FOUND: no operator 9 is under way\n"),
        ctl.run("operators", "9", "--cancel"));
    assertEquals(2, ctl.run("operators", "--cancel").exit());
    assertEquals(new Ctl.Result(1, "", "junctionctl: no operator 9 is under way or among the last ended\n"),
        ctl.run("operators", "9"));
  }

  @Test
  void rangesPrintsTheRoutingTableAligned() {
    String expected =
        """
        routing table version 7, 2 range(s)
        RANGE  START  END   EPOCH  KEYS   SIZE      READS/S  WRITES/S  CHAIN (head → tail)
        1      -inf   m     3      40000  42.9 MiB  120.3    30.0      0@pekko://junction@127.0.0.1:25520 (head) → 1@pekko://junction@127.0.0.1:25521 → 2@pekko://junction@127.0.0.1:25522 (tail)
        2      m      +inf  1      -      -         0.0      0.0       0@pekko://junction@127.0.0.1:25521 (head) → 2@pekko://junction@127.0.0.1:25522 (tail)
        """;

    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("ranges"));
  }

  @Test
  void rangesWithoutAnAnswerFromTheControllerLeavesTheLoadColumnsEmptyAndSaysWhy() {
    server.admin().load(null);
    Ctl.Result r = ctl.run("ranges");
    assertEquals(0, r.exit());
    assertEquals("2      m      +inf  1      -     -     -        -         0@pekko://junction@127.0.0.1:25521 (head)"
        + " → 2@pekko://junction@127.0.0.1:25522 (tail)", r.out().lines().toList().get(3));
    assertEquals(true, r.err().startsWith("no load statistics: "), r.err());
  }

  @Test
  void loadPrintsNodesAndRangesWithBars() {
    String expected =
        """
        load on routing table version 7 (moving averages, half-life 10.0 s)

        NODE                                               REPLICAS  HEADS  SIZE      READS/S  WRITES/S  SCANS/S
        pekko://junction@127.0.0.1:25520 (127.0.0.1:7070)  1         1      42.9 MiB  120.3    0.0       0.0      ####################
        pekko://junction@127.0.0.1:25521 (127.0.0.1:7071)  2         1      42.9 MiB  0.0      30.0      0.0      #####
        pekko://junction@127.0.0.1:25522                   2         0      42.9 MiB  0.0      0.0       0.0

        RANGE  START  END   HEAD                              KEYS   SIZE      READS/S  WRITES/S  SCANS/S
        1      -inf   m     pekko://junction@127.0.0.1:25520  40000  42.9 MiB  120.3    30.0      0.0      ####################
        2      m      +inf  pekko://junction@127.0.0.1:25521  ?      ?         0.0      0.0       0.0
        """;
    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("load"));
  }

  @Test
  void jsonPrintsTheAnswerInTheProto3JsonMapping() throws Exception {
    Ctl.Result r = ctl.run("load", "--json");
    assertEquals(0, r.exit());
    dev.junction.client.proto.LoadResponse.Builder parsed = dev.junction.client.proto.LoadResponse.newBuilder();
    com.google.protobuf.util.JsonFormat.parser().merge(r.out(), parsed);
    assertEquals(FakeAdmin.SAMPLE_LOAD, parsed.build());
    assertEquals(true, r.out().contains("\"readsPerSecond\": 120.25"), r.out());
    Ctl.Result ranges = ctl.run("ranges", "--json");
    dev.junction.client.proto.RoutingTableResponse.Builder table = RoutingTableResponse.newBuilder();
    com.google.protobuf.util.JsonFormat.parser().merge(ranges.out(), table);
    assertEquals(FakeAdmin.SAMPLE_TABLE, table.build());
    assertEquals(1, ctl.run("replicas", "--json").exit(), "a replica is not serving");
  }

  @Test
  void rangesShowsBinaryBoundsEscapedOrInHex() {
    server.admin().table(RoutingTableResponse.newBuilder()
        .setVersion(1)
        .addRanges(RangeInfo.newBuilder()
            .setRangeId(10)
            .setStart(ByteString.copyFrom(new byte[] {'k', 0x00}))
            .setEnd(ByteString.copyFrom(new byte[] {(byte) 0x80}))
            .setEpoch(2)
            .addChain(ReplicaInfo.newBuilder().setSlot(0).setNode("n1")))
        .build());

    String text =
        """
        routing table version 1, 1 range(s)
        RANGE  START  END   EPOCH  KEYS  SIZE  READS/S  WRITES/S  CHAIN (head → tail)
        10     k\\x00  \\x80  2      -     -     -        -         0@n1 (head, tail)
        """;
    String hex =
        """
        routing table version 1, 1 range(s)
        RANGE  START  END  EPOCH  KEYS  SIZE  READS/S  WRITES/S  CHAIN (head → tail)
        10     6b00   80   2      -     -     -        -         0@n1 (head, tail)
        """;
    assertEquals(new Ctl.Result(0, text, ""), ctl.run("ranges"));
    assertEquals(new Ctl.Result(0, hex, ""), ctl.run("ranges", "--hex"));
  }

  @Test
  void statusPrintsTheMembersAndTheLeader() {
    String expected =
        """
        answered by:    pekko://junction@127.0.0.1:25520
        leader:         pekko://junction@127.0.0.1:25520
        routing table:  version 7
        process:        up 3723 s, CPU 95.4 s, JIT compiling 61.2 s, 2 processors
        members:        3

        ADDRESS                           STATUS   REACHABLE  GRPC            ROLES
        pekko://junction@127.0.0.1:25520  Up       yes        127.0.0.1:7070  storage  leader, answered
        pekko://junction@127.0.0.1:25521  Up       yes        127.0.0.1:7071  storage
        pekko://junction@127.0.0.1:25522  Leaving  NO         127.0.0.1:7072  storage
        """;

    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("status"));
  }

  @Test
  void statusWithoutLeaderSaysNone() {
    server.admin().status(ClusterStatusResponse.newBuilder()
        .setSelf(FakeAdmin.NODE_B)
        .addMembers(Member.newBuilder().setAddress(FakeAdmin.NODE_B).setStatus("Joining"))
        .build());

    String expected =
        """
        answered by:    pekko://junction@127.0.0.1:25521
        leader:         (none)
        routing table:  version 0
        members:        1

        ADDRESS                           STATUS   REACHABLE  GRPC  ROLES
        pekko://junction@127.0.0.1:25521  Joining  NO         -     -      answered
        """;
    assertEquals(new Ctl.Result(0, expected, ""), ctl.run("status"));
  }
}
