package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static dev.junction.client.TestBytes.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeAdmin;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Put, get, delete and the admin calls, blocking and async, against one fake endpoint. */
class KvOperationsTest {
  private final InProcessCluster cluster = new InProcessCluster(1);
  private final JunctionClient client = cluster.client();

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void putThenGetReturnsTheValueAndTheWritesSeq() {
    long seq = client.put(b("k"), b("v"));

    Entry entry = client.get(b("k")).orElseThrow();
    assertEquals(new Entry(b("k"), b("v"), seq), entry);
  }

  @Test
  void getOfAnAbsentKeyIsEmpty() {
    assertEquals(Optional.empty(), client.get(b("absent")));
  }

  @Test
  void overwritingGivesALargerSeqAndTheNewValue() {
    long first = client.put(b("k"), b("one"));
    long second = client.put(b("k"), b("two"));

    assertTrue(second > first);
    assertEquals("two", s(client.get(b("k")).orElseThrow().value()));
  }

  @Test
  void anEmptyValueIsAValue() {
    client.put(b("k"), new byte[0]);

    assertArrayEquals(new byte[0], client.get(b("k")).orElseThrow().value());
  }

  @Test
  void binaryKeysAndValuesRoundTrip() {
    byte[] key = {0, (byte) 0xff, 10};
    byte[] value = {(byte) 0x80, 0, 1};
    client.put(key, value);

    assertArrayEquals(value, client.get(key).orElseThrow().value());
  }

  @Test
  void deleteRemovesTheKeyAndGetsASeq() {
    long put = client.put(b("k"), b("v"));
    long delete = client.delete(b("k"));

    assertTrue(delete > put);
    assertEquals(Optional.empty(), client.get(b("k")));
  }

  @Test
  void deletingAnAbsentKeyIsNotAnError() {
    assertTrue(client.delete(b("never-written")) > 0);
  }

  @Test
  void asyncFormsGiveTheSameAnswers() {
    long seq = client.putAsync(b("k"), b("v")).join();
    assertEquals(Optional.of(new Entry(b("k"), b("v"), seq)), client.getAsync(b("k")).join());

    CasResult cas = client.compareAndSetAsync(b("k"), b("v"), b("w")).join();
    assertTrue(cas.applied());
    assertEquals(List.of(cas.current().orElseThrow()), client.scanAsync(null, null, 10).join());

    assertTrue(client.deleteAsync(b("k")).join() > cas.current().orElseThrow().seq());
    assertEquals(Optional.empty(), client.getAsync(b("k")).join());
  }

  @Test
  void adminStatusReturnsTheClusterStatus() {
    assertEquals(FakeAdmin.SAMPLE_STATUS, client.adminStatus());
    assertEquals(FakeAdmin.SAMPLE_STATUS, client.adminStatusAsync().join());
  }

  @Test
  void routingTableReturnsTheTable() {
    assertEquals(FakeAdmin.SAMPLE_TABLE, client.routingTable());
    assertEquals(FakeAdmin.SAMPLE_TABLE, client.routingTableAsync().join());
  }

  @Test
  void nullKeysAreRefusedBeforeAnyCall() {
    assertThrows(NullPointerException.class, () -> client.put(null, b("v")));
    assertThrows(NullPointerException.class, () -> client.put(b("k"), null));
    assertThrows(NullPointerException.class, () -> client.get(null));
    assertEquals(0, cluster.kv(0).calls());
  }

  @Test
  void callsAfterCloseAreRefused() {
    client.close();

    assertThrows(IllegalStateException.class, () -> client.get(b("k")));
  }
}
