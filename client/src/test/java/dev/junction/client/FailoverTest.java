package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static dev.junction.client.TestBytes.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeAdmin;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failover between endpoints: UNAVAILABLE moves on to the next endpoint, other errors do not. */
class FailoverTest {
  private final InProcessCluster cluster = new InProcessCluster(2);

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void aStoppedFirstEndpointFailsOverToTheSecond() {
    cluster.server(0).stop();
    JunctionClient client = cluster.client();

    long seq = client.put(b("k"), b("v"));

    assertEquals(seq, client.get(b("k")).orElseThrow().seq());
    assertEquals(2, cluster.kv(1).calls());
  }

  @Test
  void anUnavailableAnswerFailsOverToTheSecond() {
    cluster.kv(0).failWith(Status.UNAVAILABLE.withDescription("no tail lease"));
    JunctionClient client = cluster.client();

    client.put(b("k"), b("v"));

    assertEquals(1, cluster.kv(0).calls());
    assertEquals(1, cluster.kv(1).calls());
  }

  @Test
  void callsStartAtTheEndpointThatLastAnswered() {
    cluster.kv(0).failWith(Status.UNAVAILABLE);
    JunctionClient client = cluster.client();

    client.put(b("k"), b("v"));
    client.get(b("k"));
    client.delete(b("k"));

    assertEquals(1, cluster.kv(0).calls());
    assertEquals(3, cluster.kv(1).calls());
  }

  @Test
  void whenEveryEndpointIsUnavailableUnavailableSurfaces() {
    cluster.server(0).stop();
    cluster.kv(1).failWith(Status.UNAVAILABLE.withDescription("range 3 has no chain"));
    JunctionClient client = cluster.client();

    UnavailableException e = assertThrows(UnavailableException.class, () -> client.get(b("k")));

    assertEquals(Status.Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().startsWith("all 2 endpoints unavailable"), e.getMessage());
    assertTrue(e.getMessage().contains("range 3 has no chain"), e.getMessage());
    assertEquals(1, cluster.kv(1).calls(), "each endpoint is tried once");
  }

  @Test
  void asyncCallsFailOverAndFailTheSameWay() {
    cluster.kv(0).failWith(Status.UNAVAILABLE);
    JunctionClient client = cluster.client();
    assertTrue(client.putAsync(b("k"), b("v")).join() > 0);

    cluster.kv(1).failWith(Status.UNAVAILABLE);
    CompletionException e = assertThrows(CompletionException.class, () -> client.getAsync(b("k")).join());
    assertTrue(e.getCause() instanceof UnavailableException, e.toString());
  }

  @Test
  void otherErrorsSurfaceAtOnceWithoutFailover() {
    JunctionClient client = cluster.client();

    assertThrows(InvalidArgumentException.class, () -> client.put(new byte[0], b("v")));

    assertEquals(1, cluster.kv(0).calls());
    assertEquals(0, cluster.kv(1).calls());
  }

  @Test
  void aScanBrokenPartWayResumesOnTheNextEndpointAfterTheLastKey() {
    JunctionClient client = cluster.client();
    List<String> keys = IntStream.range(0, 9).mapToObj(i -> "k" + i).toList();
    keys.forEach(k -> client.put(b(k), b(k)));
    cluster.kv(0).scanPageSize(2);
    cluster.kv(0).failScanAfterPages(2);

    List<Entry> entries = client.scan(null, null, 7);

    assertEquals(keys.subList(0, 7), entries.stream().map(e -> s(e.key())).toList());
    assertEquals(List.of(2, 2), cluster.kv(0).scanPageSizes());
    assertEquals(List.of(2, 1), cluster.kv(1).scanPageSizes(), "only the 3 missing entries are asked for");
  }

  @Test
  void adminCallsFailOverToo() {
    cluster.server(0).admin().failWith(Status.UNAVAILABLE);
    JunctionClient client = cluster.client();

    assertEquals(FakeAdmin.SAMPLE_TABLE, client.routingTable());
    assertEquals(FakeAdmin.SAMPLE_STATUS, client.adminStatus());
  }
}
