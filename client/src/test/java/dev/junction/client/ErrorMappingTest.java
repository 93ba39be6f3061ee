package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeStore;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Status codes become typed {@link JunctionException}s with the server's message. */
class ErrorMappingTest {
  private final InProcessCluster cluster = new InProcessCluster(1);
  private final JunctionClient client = cluster.client();

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void anEmptyKeyIsAnInvalidArgumentWithTheServersMessage() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> client.get(new byte[0]));

    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals("key must be 1 to 4096 bytes, got 0", e.getMessage());
  }

  @Test
  void tooLongKeysAndTooLargeValuesAreInvalidArguments() {
    assertThrows(InvalidArgumentException.class, () -> client.put(new byte[FakeStore.MAX_KEY + 1], b("v")));
    assertThrows(InvalidArgumentException.class, () -> client.put(b("k"), new byte[FakeStore.MAX_VALUE + 1]));
    assertEquals(0, cluster.store().appliedWrites());
  }

  @Test
  void aFullStoreIsStoreFullButDeletesAndReadsWork() {
    client.put(b("k"), b("v"));
    cluster.store().setFull(true);

    StoreFullException e = assertThrows(StoreFullException.class, () -> client.put(b("k2"), b("v")));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code());
    assertThrows(StoreFullException.class, () -> client.compareAndSet(b("k2"), null, b("v")));
    assertTrue(client.get(b("k")).isPresent());
    assertTrue(client.delete(b("k")) > 0);
  }

  @Test
  void otherCodesArePlainJunctionExceptionsWithTheirCode() {
    cluster.kv(0).failWith(Status.PERMISSION_DENIED.withDescription("not for you"));

    JunctionException e = assertThrows(JunctionException.class, () -> client.get(b("k")));

    assertSame(JunctionException.class, e.getClass());
    assertEquals(Status.Code.PERMISSION_DENIED, e.code());
    assertEquals("not for you", e.getMessage());
    assertEquals("dev.junction.client.JunctionException: PERMISSION_DENIED: not for you", e.toString());
  }

  @Test
  void aWriteTheClusterCouldNotFinishHasAnUnknownOutcome() {
    cluster.kv(0).failWith(Status.UNKNOWN.withDescription("outcome unknown: no answer in time"));

    OutcomeUnknownException e = assertThrows(OutcomeUnknownException.class, () -> client.put(b("k"), b("v")));

    assertEquals(Status.Code.UNKNOWN, e.code());
    assertEquals(1, cluster.kv(0).calls(), "asked once, not retried");
  }

  @Test
  void asyncCallsCompleteWithTheSameExceptions() {
    CompletionException e = assertThrows(CompletionException.class, () -> client.putAsync(new byte[0], b("v")).join());

    assertTrue(e.getCause() instanceof InvalidArgumentException, e.toString());
  }

  @Test
  void ofPicksTheSubclassOfEachCode() {
    assertTrue(JunctionException.of(Status.INVALID_ARGUMENT) instanceof InvalidArgumentException);
    assertTrue(JunctionException.of(Status.UNAVAILABLE) instanceof UnavailableException);
    assertTrue(JunctionException.of(Status.DEADLINE_EXCEEDED) instanceof DeadlineExceededException);
    assertTrue(JunctionException.of(Status.RESOURCE_EXHAUSTED) instanceof StoreFullException);
    assertTrue(JunctionException.of(Status.UNKNOWN) instanceof OutcomeUnknownException);
    assertSame(JunctionException.class, JunctionException.of(Status.INTERNAL).getClass());
  }

  @Test
  void theMessageNamesTheCauseOfATransportFailure() {
    Status refused = Status.UNAVAILABLE.withDescription("io exception").withCause(new java.net.ConnectException("Connection refused"));

    assertEquals("io exception (Connection refused)", JunctionException.of(refused).getMessage());
    assertEquals("UNAVAILABLE", JunctionException.of(Status.UNAVAILABLE).getMessage());
  }
}
