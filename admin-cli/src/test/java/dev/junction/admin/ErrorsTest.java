package dev.junction.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeKv;
import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failed calls: one line on stderr, {@code junctionctl: <STATUS>: <message>}, exit code 1. */
class ErrorsTest {
  private final FakeStore store = new FakeStore();
  private final FakeServer server = FakeServer.onLoopback(store);
  private final Ctl ctl = Ctl.at(server.endpoint());

  @AfterEach
  void stop() {
    server.close();
  }

  private static void assertFailure(Ctl.Result result, String errLine) {
    assertEquals(new Ctl.Result(1, "", errLine + "\n"), result);
  }

  @Test
  void anInvalidKeyIsInvalidArgument() {
    assertFailure(ctl.run("get", ""), "junctionctl: INVALID_ARGUMENT: key must be 1 to 4096 bytes, got 0");
  }

  @Test
  void aBadIntervalIsInvalidArgument() {
    assertFailure(ctl.run("scan", "z", "a"), "junctionctl: INVALID_ARGUMENT: scan start sorts after end");
  }

  @Test
  void anUnavailableClusterIsUnavailable() {
    server.kv().failWith(Status.UNAVAILABLE.withDescription("range 3 has no tail"));

    assertFailure(ctl.run("put", "k", "v"),
        "junctionctl: UNAVAILABLE: endpoint unavailable: " + server.endpoint() + ": range 3 has no tail");
  }

  @Test
  void aDeadEndpointIsUnavailable() {
    server.stop();

    Ctl.Result result = ctl.run("status");

    assertEquals(1, result.exit());
    assertEquals("", result.out());
    assertTrue(result.err().startsWith("junctionctl: UNAVAILABLE: endpoint unavailable: " + server.endpoint()), result.err());
    assertEquals(1, result.err().lines().count(), result.err());
  }

  @Test
  void anUnansweredCallExceedsTheTimeout() {
    Ctl.Result result = ctl.run("--timeout", "300ms", "get", FakeKv.BLACK_HOLE_KEY.toStringUtf8());

    assertEquals(1, result.exit());
    assertTrue(result.err().startsWith("junctionctl: DEADLINE_EXCEEDED: "), result.err());
  }

  @Test
  void aFullStoreIsResourceExhausted() {
    store.setFull(true);

    assertFailure(ctl.run("put", "k", "v"), "junctionctl: RESOURCE_EXHAUSTED: store full");
  }

  @Test
  void otherStatusesAreShownByName() {
    server.admin().failWith(Status.PERMISSION_DENIED.withDescription("admins only"));

    assertFailure(ctl.run("ranges"), "junctionctl: PERMISSION_DENIED: admins only");
  }
}
