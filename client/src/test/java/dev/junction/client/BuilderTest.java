package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Building clients: endpoints, options, and a real TCP round trip on loopback. */
class BuilderTest {
  @Test
  void endpointsAreParsed() {
    assertEquals(new Endpoint("127.0.0.1", 7070), Endpoint.parse("127.0.0.1:7070"));
    assertEquals(new Endpoint("node-1.junction", 1), Endpoint.parse(" node-1.junction:1 "));
    assertEquals(new Endpoint("::1", 7070), Endpoint.parse("[::1]:7070"));
    assertEquals("[::1]:7070", Endpoint.parse("[::1]:7070").toString());
  }

  @Test
  void badEndpointsAreRefusedWithTheirText() {
    for (String bad : List.of("", "host", "host:", ":7070", "host:0", "host:65536", "host:http", "::1:7070")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> JunctionClient.builder().endpoints(bad), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void aClientNeedsEndpointsOrChannels() {
    assertThrows(IllegalArgumentException.class, () -> JunctionClient.builder().build());
    assertThrows(IllegalArgumentException.class, () -> JunctionClient.builder().endpoints(List.of()).build());
  }

  @Test
  void badOptionsAreRefused() {
    JunctionClient.Builder builder = JunctionClient.builder();
    assertThrows(IllegalArgumentException.class, () -> builder.deadline(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> builder.deadline(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> builder.clientId(" "));
  }

  @Test
  void aClientOfATcpEndpointWorksAndFailsOverFromADeadOne() {
    FakeStore store = new FakeStore();
    FakeServer dead = FakeServer.onLoopback(store);
    dead.stop();
    try (FakeServer live = FakeServer.onLoopback(store);
        JunctionClient client =
            JunctionClient.builder().endpoints(dead.endpoint(), live.endpoint()).clientId("tcp").build()) {
      long seq = client.put(b("k"), b("v"));

      assertEquals(seq, client.get(b("k")).orElseThrow().seq());
      assertEquals("tcp", live.kv().headers().get(0).getClientId());
    }
  }

  @Test
  void aDeadTcpEndpointIsUnavailableWithTheEndpointInTheMessage() {
    FakeServer dead = FakeServer.onLoopback(new FakeStore());
    dead.stop();
    try (JunctionClient client = JunctionClient.builder().endpoints(dead.endpoint()).build()) {
      UnavailableException e = assertThrows(UnavailableException.class, () -> client.get(b("k")));

      assertTrue(e.getMessage().startsWith("endpoint unavailable: " + dead.endpoint()), e.getMessage());
    }
  }
}
