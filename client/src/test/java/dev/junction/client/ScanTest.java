package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static dev.junction.client.TestBytes.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Scans: intervals, key order, limits, pages. */
class ScanTest {
  private final InProcessCluster cluster = new InProcessCluster(1);
  private final JunctionClient client = cluster.client();

  @AfterEach
  void close() {
    cluster.close();
  }

  private void putKeys(String... keys) {
    for (String key : keys) {
      client.put(b(key), b("v-" + key));
    }
  }

  private static List<String> keys(List<Entry> entries) {
    return entries.stream().map(e -> s(e.key())).toList();
  }

  @Test
  void openBoundsReturnEverythingInKeyOrder() {
    putKeys("c", "a", "e", "b", "d");

    List<Entry> entries = client.scan(null, new byte[0], 0);

    assertEquals(List.of("a", "b", "c", "d", "e"), keys(entries));
    assertEquals("v-a", s(entries.get(0).value()));
    assertEquals(client.get(b("a")).orElseThrow(), entries.get(0));
  }

  @Test
  void theIntervalIsHalfOpen() {
    putKeys("a", "b", "c", "d", "e");

    assertEquals(List.of("b", "c"), keys(client.scan(b("b"), b("d"), 100)));
    assertEquals(List.of("c", "d", "e"), keys(client.scan(b("c"), null, 100)));
    assertEquals(List.of("a", "b"), keys(client.scan(null, b("c"), 100)));
  }

  @Test
  void keysSortAsUnsignedBytes() {
    client.put(new byte[] {(byte) 0xff}, b("high"));
    client.put(new byte[] {0x01}, b("low"));
    client.put(new byte[] {0x01, 0x00}, b("longer"));

    List<String> values = client.scan(null, null, 10).stream().map(e -> s(e.value())).toList();

    assertEquals(List.of("low", "longer", "high"), values);
  }

  @Test
  void limitStopsAcrossSeveralPages() {
    cluster.kv(0).scanPageSize(2);
    putKeys("k1", "k2", "k3", "k4", "k5", "k6", "k7");

    List<Entry> entries = client.scan(null, null, 5);

    assertEquals(List.of("k1", "k2", "k3", "k4", "k5"), keys(entries));
    assertEquals(List.of(2, 2, 1), cluster.kv(0).scanPageSizes());
  }

  @Test
  void aScanWithoutLimitCollectsAllPages() {
    cluster.kv(0).scanPageSize(3);
    putKeys("k1", "k2", "k3", "k4", "k5", "k6", "k7");

    assertEquals(7, client.scan(null, null, JunctionClient.MAX_SCAN_LIMIT).size());
    assertEquals(List.of(3, 3, 1), cluster.kv(0).scanPageSizes());
  }

  @Test
  void limitZeroMeansTheDefaultLimit() {
    cluster.kv(0).scanPageSize(500);
    for (int i = 0; i < JunctionClient.DEFAULT_SCAN_LIMIT + 5; i++) {
      client.put(b(String.format("k%05d", i)), new byte[0]);
    }

    assertEquals(JunctionClient.DEFAULT_SCAN_LIMIT, client.scan(null, null, 0).size());
  }

  @Test
  void emptyIntervalsReturnNothing() {
    putKeys("a", "b");

    assertEquals(List.of(), client.scan(b("b"), b("b"), 10));
    assertEquals(List.of(), client.scan(b("x"), null, 10));
  }

  @Test
  void startAfterEndIsInvalid() {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> client.scan(b("z"), b("a"), 10));
    assertTrue(e.getMessage().contains("start"), e.getMessage());
  }

  @Test
  void limitAboveTheMaximumIsInvalid() {
    assertThrows(InvalidArgumentException.class, () -> client.scan(null, null, JunctionClient.MAX_SCAN_LIMIT + 1));
  }

  @Test
  void negativeLimitIsRefusedBeforeAnyCall() {
    assertThrows(IllegalArgumentException.class, () -> client.scan(null, null, -1));
    assertEquals(0, cluster.kv(0).calls());
  }
}
