package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Compare-and-set: expectations on a value or on absence, and what the answer says is current. */
class CompareAndSetTest {
  private final InProcessCluster cluster = new InProcessCluster(1);
  private final JunctionClient client = cluster.client();

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void anExpectedSequenceNumberAppliesOnlyWhileTheValueCarriesIt() {
    long seq = client.put(b("k"), b("old"));

    CasResult stale = client.compareAndSet(b("k"), seq + 100, b("never"));
    assertFalse(stale.applied());
    assertEquals(Optional.of(new Entry(b("k"), b("old"), seq)), stale.current());

    CasResult fresh = client.compareAndSet(b("k"), seq, b("new"));
    assertTrue(fresh.applied());
    long newSeq = fresh.current().orElseThrow().seq();
    assertFalse(client.compareAndSetAsync(b("k"), seq, b("again")).join().applied(), "seq moved on");
    assertEquals(Optional.of(new Entry(b("k"), b("new"), newSeq)), client.get(b("k")));
    assertThrows(IllegalArgumentException.class, () -> client.compareAndSet(b("k"), 0, b("x")));
  }

  @Test
  void expectAbsentOnAnAbsentKeyApplies() {
    CasResult result = client.compareAndSet(b("k"), null, b("new"));

    assertTrue(result.applied());
    Entry current = result.current().orElseThrow();
    assertEquals(Optional.of(current), client.get(b("k")));
    assertEquals(new Entry(b("k"), b("new"), current.seq()), current);
  }

  @Test
  void expectAbsentOnAPresentKeyFailsAndShowsTheValue() {
    long seq = client.put(b("k"), b("old"));

    CasResult result = client.compareAndSet(b("k"), null, b("new"));

    assertFalse(result.applied());
    assertEquals(Optional.of(new Entry(b("k"), b("old"), seq)), result.current());
    assertEquals(Optional.of(new Entry(b("k"), b("old"), seq)), client.get(b("k")));
  }

  @Test
  void matchingExpectedValueApplies() {
    long seq = client.put(b("k"), b("old"));

    CasResult result = client.compareAndSet(b("k"), b("old"), b("new"));

    assertTrue(result.applied());
    assertTrue(result.current().orElseThrow().seq() > seq);
    assertEquals(result.current(), client.get(b("k")));
  }

  @Test
  void mismatchingExpectedValueFailsAndShowsTheValue() {
    long seq = client.put(b("k"), b("actual"));

    CasResult result = client.compareAndSet(b("k"), b("expected"), b("new"));

    assertFalse(result.applied());
    assertEquals(Optional.of(new Entry(b("k"), b("actual"), seq)), result.current());
  }

  @Test
  void expectedValueOnAnAbsentKeyFails() {
    CasResult result = client.compareAndSet(b("k"), b("anything"), b("new"));

    assertEquals(new CasResult(false, Optional.empty()), result);
    assertEquals(Optional.empty(), client.get(b("k")));
  }

  @Test
  void anEmptyExpectedValueIsNotAbsence() {
    client.put(b("k"), new byte[0]);

    assertTrue(client.compareAndSet(b("k"), new byte[0], b("new")).applied());
    assertFalse(client.compareAndSet(b("absent"), new byte[0], b("new")).applied());
  }
}
