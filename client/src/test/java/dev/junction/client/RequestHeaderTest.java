package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.proto.RequestHeader;
import io.grpc.Status;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The header of writes: client id, increasing request ids, the same header on every retry. */
class RequestHeaderTest {
  private final InProcessCluster cluster = new InProcessCluster(2);

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void everyWriteCarriesTheClientIdAndAnIncreasingRequestId() {
    JunctionClient client = cluster.client(b -> b.clientId("client-7"));

    client.put(b("a"), b("1"));
    client.delete(b("a"));
    client.compareAndSet(b("a"), null, b("2"));
    client.putAsync(b("b"), b("3")).join();

    List<RequestHeader> headers = cluster.kv(0).headers();
    assertEquals(4, headers.size());
    for (int i = 0; i < headers.size(); i++) {
      assertEquals("client-7", headers.get(i).getClientId());
      if (i > 0) {
        assertTrue(headers.get(i).getRequestId() > headers.get(i - 1).getRequestId(), headers.toString());
      }
    }
  }

  @Test
  void theDefaultClientIdIsARandomUuid() {
    JunctionClient one = cluster.client();
    JunctionClient two = cluster.client();

    UUID.fromString(one.clientId());
    assertNotEquals(one.clientId(), two.clientId());
    one.put(b("k"), b("v"));
    assertEquals(one.clientId(), cluster.kv(0).headers().get(0).getClientId());
  }

  @Test
  void aRetriedWriteCarriesTheSameHeader() {
    cluster.kv(0).failWith(Status.UNAVAILABLE.withDescription("range moving"));
    JunctionClient client = cluster.client();

    client.put(b("k"), b("v"));

    RequestHeader first = cluster.kv(0).headers().get(0);
    assertEquals(List.of(first), cluster.kv(1).headers());
  }

  @Test
  void aWriteWhoseAnswerWasLostIsAppliedOnceWhenRetried() {
    cluster.kv(0).loseWriteAnswers(true);
    JunctionClient client = cluster.client();

    CasResult result = client.compareAndSet(b("k"), null, b("v"));

    assertTrue(result.applied(), "the retry gets the first application's answer");
    assertEquals(1, cluster.store().appliedWrites());
    assertEquals(cluster.kv(0).headers(), cluster.kv(1).headers());
  }
}
