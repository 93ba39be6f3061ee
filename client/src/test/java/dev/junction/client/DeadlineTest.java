package dev.junction.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeKv;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deadlines and cancellation of calls that are never answered. */
class DeadlineTest {
  private static final byte[] BLACK_HOLE = FakeKv.BLACK_HOLE_KEY.toByteArray();
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final InProcessCluster cluster = new InProcessCluster(2);

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void anUnansweredReadFailsWithDeadlineExceeded() {
    JunctionClient client = cluster.impatientClient();

    DeadlineExceededException e = assertThrows(DeadlineExceededException.class, () -> client.get(BLACK_HOLE));

    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code());
    assertEquals(0, cluster.kv(1).calls(), "a deadline is not a reason to fail over");
  }

  @Test
  void anUnansweredWriteHasAnUnknownOutcomeAndIsNotRetriedElsewhere() {
    JunctionClient client = cluster.impatientClient();

    OutcomeUnknownException e =
        assertThrows(OutcomeUnknownException.class, () -> client.put(BLACK_HOLE, new byte[] {1}));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code());
    assertTrue(e.getMessage().startsWith("outcome unknown"), e.getMessage());
    assertThrows(OutcomeUnknownException.class, () -> client.compareAndSet(BLACK_HOLE, null, new byte[] {1}));
    assertThrows(OutcomeUnknownException.class, () -> client.delete(BLACK_HOLE));

    assertEquals(0, cluster.kv(1).calls());
  }

  @Test
  void theDeadlineIsTheBuildersDeadline() {
    assertEquals(Duration.ofMillis(300), cluster.impatientClient().deadline());
    assertEquals(JunctionClient.DEFAULT_DEADLINE, cluster.client().deadline());
  }

  @Test
  void cancellingAnAsyncCallCancelsItOnTheServer() throws InterruptedException {
    JunctionClient client = cluster.client();
    CompletableFuture<Optional<Entry>> call = client.getAsync(BLACK_HOLE);
    assertTrue(cluster.kv(0).awaitSwallowed(1, WAIT), "the server got the call");

    call.cancel(true);

    assertTrue(cluster.kv(0).awaitCancellations(1, WAIT), "the server saw the cancellation");
    assertTrue(call.isCancelled());
  }
}
