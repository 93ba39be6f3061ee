package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeAdmin;
import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import dev.junction.client.proto.NodeEndpoint;
import dev.junction.client.proto.RoutingTableResponse;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client as the switch at the edge: it routes each call by its own copy of the routing table to the
 * node that should serve it, refreshes the table when an answer says a node has a newer one, and fails
 * over when that node is gone, within the call's deadline, applying a write at most once. Three fake
 * nodes on loopback share one store (any of them serves anything, as a real node's gateway does).
 */
class RoutingTest {
  private static final String A = "pekko://junction@127.0.0.1:1";
  private static final String B = "pekko://junction@127.0.0.1:2";
  private static final String C = "pekko://junction@127.0.0.1:3";

  private final FakeStore store = new FakeStore();
  private final List<FakeServer> nodes =
      List.of(FakeServer.onLoopback(store), FakeServer.onLoopback(store), FakeServer.onLoopback(store));
  private JunctionClient client;

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
    nodes.forEach(FakeServer::close);
  }

  /** [-inf, m) on a -> b -> c and [m, +inf) on {@code secondHead} -> ... at {@code version}. */
  private RoutingTableResponse table(long version, String secondHead, String secondTail) {
    return RoutingTableResponse.newBuilder()
        .setVersion(version)
        .addRanges(FakeAdmin.range(1, "", "m", 1, FakeAdmin.replica(0, A), FakeAdmin.replica(1, B), FakeAdmin.replica(2, C)))
        .addRanges(FakeAdmin.range(2, "m", "", version, FakeAdmin.replica(0, secondHead), FakeAdmin.replica(5, secondTail)))
        .addEndpoints(NodeEndpoint.newBuilder().setNode(A).setGrpcEndpoint(nodes.get(0).endpoint()))
        .addEndpoints(NodeEndpoint.newBuilder().setNode(B).setGrpcEndpoint(nodes.get(1).endpoint()))
        .addEndpoints(NodeEndpoint.newBuilder().setNode(C).setGrpcEndpoint(nodes.get(2).endpoint()))
        .build();
  }

  private void serve(RoutingTableResponse table) {
    for (FakeServer n : nodes) {
      n.admin().table(table);
      n.kv().tableVersion(table.getVersion());
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(10); // polling interval of a deadline wait
    }
  }

  private JunctionClient routingClient(JunctionClient.ReadFrom readFrom) throws InterruptedException {
    // Only one endpoint is given: the others are learned from the table.
    JunctionClient c = JunctionClient.builder().endpoints(nodes.get(0).endpoint()).readFrom(readFrom)
        .deadline(Duration.ofSeconds(3)).build();
    await("the client has the table", () -> c.tableVersion() == 7);
    return c;
  }

  private int[] calls() {
    return nodes.stream().mapToInt(n -> n.kv().calls()).toArray();
  }

  @Test
  void writesGoToTheNodeOfTheirRangesHeadAndReadsToANodeOfItsReplicas() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.TAIL);
    client.put(b("apple"), b("red"));
    client.put(b("zebra"), b("striped"));
    assertEquals(1, nodes.get(0).kv().headers().size(), "apple's range has its head on a");
    assertEquals(1, nodes.get(1).kv().headers().size(), "zebra's range has its head on b");
    int[] before = calls();
    assertEquals("red", new String(client.get(b("apple")).orElseThrow().value()));
    assertEquals(before[2] + 1, calls()[2], "a read of apple goes to its tail's node, c");
    before = calls();
    client.get(b("zebra"));
    assertEquals(before[2] + 1, calls()[2], "zebra's tail is on c too");
  }

  @Test
  void aLatestReadGoesToTheNodeOfItsRangesHead() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.ANY_REPLICA);
    client.put(b("apple"), b("red"));
    client.put(b("zebra"), b("striped"));
    for (int i = 0; i < 20; i++) {
      assertEquals("red", new String(client.getLatest(b("apple")).orElseThrow().value()));
    }
    assertEquals(20, nodes.get(0).kv().latestGets(), "apple's head is on a");
    assertEquals("striped", new String(client.getLatest(b("zebra")).orElseThrow().value()));
    assertEquals(1, nodes.get(1).kv().latestGets(), "zebra's head is on b");
    assertEquals(0, nodes.get(2).kv().latestGets());
    assertTrue(client.getLatest(b("absent")).isEmpty());
  }

  @Test
  void readsFromAnyReplicaSpreadOverTheChain() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.ANY_REPLICA);
    client.put(b("apple"), b("red"));
    int[] before = calls();
    for (int i = 0; i < 60; i++) {
      client.get(b("apple"));
    }
    int[] after = calls();
    for (int n = 0; n < 3; n++) {
      assertTrue(after[n] > before[n], "node " + n + " served some of the reads of a range it holds");
    }
  }

  @Test
  void anAnswerFromANodeWithANewerTableMakesTheClientFetchItAndFollowAMovedRange() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.TAIL);
    int fetched = nodes.get(0).admin().tableCalls();
    // Range 2 moves: its head goes from b to c. The nodes know; the client's table is stale.
    serve(table(8, C, A));
    client.put(b("zebra"), b("1")); // still sent to b, which serves it (a node routes what is not its)
    assertEquals(1, nodes.get(1).kv().headers().size());
    await("the client fetched the newer table", () -> client.tableVersion() == 8);
    assertTrue(nodes.get(0).admin().tableCalls() > fetched);
    client.put(b("zebra"), b("2"));
    assertEquals(1, nodes.get(2).kv().headers().size(), "the moved range's new head, c, gets the next write");
    assertEquals(Optional.of("2"), client.get(b("zebra")).map(e -> new String(e.value())));
  }

  @Test
  void buildReturnsWithTheTableAndAConnectionToEveryNodeInIt() throws Exception {
    serve(table(7, B, C));
    client = JunctionClient.builder().endpoints(nodes.get(0).endpoint()).readFrom(JunctionClient.ReadFrom.TAIL)
        .deadline(Duration.ofSeconds(3)).build();
    assertEquals(7, client.tableVersion(), "build waited for the table");
    assertEquals(new java.util.TreeSet<>(nodes.stream().map(FakeServer::endpoint).toList()), client.readyEndpoints(),
        "and for a connection to each of its nodes");
    int[] before = calls();
    client.get(b("zebra"));
    assertEquals(before[2] + 1, calls()[2], "the first read goes straight to its tail's node");
    assertEquals(before[0] + before[1], calls()[0] + calls()[1], "and nowhere else");
  }

  @Test
  void buildDoesNotWaitForAClusterThatIsDownAndClosingStopsTheClientsThreads() {
    String down = nodes.get(0).endpoint();
    nodes.get(0).stop();
    JunctionClient c = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> JunctionClient.builder().endpoints(down).connectWait(Duration.ofMinutes(10)).build(),
        "a refused table fetch ends the wait");
    assertEquals(0, c.tableVersion());
    assertTrue(!c.networkStopped());
    c.close();
    assertTrue(c.networkStopped(), "close stopped the client's event loop");
  }

  @Test
  void aDeadNodeIsPassedOverWithinTheCallsDeadline() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.TAIL);
    nodes.get(1).stop(); // zebra's head
    long start = System.nanoTime();
    long seq = client.put(b("zebra"), b("striped"));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos(), "within the deadline");
    assertEquals(seq, store.get(dev.junction.client.proto.GetRequest.newBuilder()
        .setKey(com.google.protobuf.ByteString.copyFromUtf8("zebra")).build()).getSeq());
  }

  @Test
  void aWriteWhoseAnswerWasLostIsRetriedElsewhereAndAppliedOnce() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.TAIL);
    nodes.get(0).kv().loseWriteAnswers(true); // apple's head applies it and then fails to answer
    long seq = client.put(b("apple"), b("red"));
    assertEquals(1, nodes.get(0).kv().headers().size());
    List<dev.junction.client.proto.RequestHeader> retried = nodes.get(1).kv().headers();
    retried = retried.isEmpty() ? nodes.get(2).kv().headers() : retried;
    assertEquals(nodes.get(0).kv().headers(), retried, "the retry carries the same header");
    assertEquals(seq, client.get(b("apple")).orElseThrow().seq(), "applied once: the retry got the first answer");
    assertEquals(1, store.appliedWrites(), "the store applied one write");
  }

  @Test
  void aWriteNoNodeCouldTakeIsReportedAsNotAppliedAndOneThatMayHaveBeenIsNot() throws Exception {
    serve(table(7, B, C));
    client = routingClient(JunctionClient.ReadFrom.TAIL);
    nodes.forEach(FakeServer::stop); // connections refused: the write never left this process
    // A call started before the client saw a connection close may have been written to it: wait.
    await("the client saw every connection close", () -> !client.anyConnectionReady());
    UnavailableException refused = org.junit.jupiter.api.Assertions.assertThrows(UnavailableException.class,
        () -> client.put(b("apple"), b("red")));
    assertTrue(refused.notApplied(), refused.getMessage());

    FakeStore other = new FakeStore();
    try (FakeServer up = FakeServer.onLoopback(other);
        JunctionClient c = JunctionClient.builder().endpoints(up.endpoint()).routing(false).build()) {
      up.kv().loseWriteAnswers(true); // it applied the write, then failed to answer
      UnavailableException lost = org.junit.jupiter.api.Assertions.assertThrows(UnavailableException.class,
          () -> c.put(b("apple"), b("red")));
      assertTrue(!lost.notApplied(), "the write may have been applied (it was)");
      assertEquals(1, other.appliedWrites());
      up.kv().loseWriteAnswers(false);
      io.grpc.Metadata trailers = new io.grpc.Metadata();
      trailers.put(io.grpc.Metadata.Key.of("junction-not-applied", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "true");
      up.kv().failWith(Status.UNAVAILABLE.withDescription("no routing table yet"), trailers);
      assertTrue(org.junit.jupiter.api.Assertions.assertThrows(UnavailableException.class,
          () -> c.put(b("apple"), b("red"))).notApplied(), "the node said it passed it to no replica");
    }
  }

  @Test
  void withoutATableOrWithRoutingOffCallsGoToTheGivenEndpoints() throws Exception {
    for (FakeServer n : nodes) {
      n.admin().failWith(Status.UNIMPLEMENTED);
    }
    client = JunctionClient.builder().endpoints(nodes.get(2).endpoint()).build();
    client.put(b("zebra"), b("1"));
    assertEquals(1, nodes.get(2).kv().headers().size());
    assertEquals(0, client.tableVersion());
    try (JunctionClient off = JunctionClient.builder().endpoints(nodes.get(1).endpoint()).routing(false).build()) {
      serve(table(7, B, C));
      off.put(b("apple"), b("1"));
      assertEquals(1, nodes.get(1).kv().headers().size());
      assertEquals(0, off.tableVersion());
    }
  }
}
