package dev.junction.chain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class EarlyMessagesTest {
  @Test
  void messagesOfTheAdoptedEpochComeBackInOrderOlderOnesAreDroppedNewerOnesStay() {
    EarlyMessages kept = new EarlyMessages(8);
    PeerMessage a = new PeerMessage.Hello(2, 7, 3);
    PeerMessage b = new PeerMessage.Durable(3, 1, 9);
    PeerMessage c = new PeerMessage.Durable(2, 0, 5);
    PeerMessage d = new PeerMessage.Probe(1, 4);
    for (PeerMessage m : List.of(a, b, c, d)) {
      kept.keep(m);
    }
    assertEquals(List.of(a, c), kept.takeFor(2));
    assertEquals(1, kept.size(), "epoch 3's stays, epoch 1's is dropped");
    assertEquals(List.of(), kept.takeFor(2));
    assertEquals(List.of(b), kept.takeFor(3));
    assertEquals(0, kept.size());
  }

  @Test
  void entriesAreNotKeptTheGreetingOnAdoptionHasThemResent() {
    EarlyMessages kept = new EarlyMessages(8);
    kept.keep(new PeerMessage.Forward(2, 0, List.of()));
    kept.keep(new PeerMessage.Backfill(2, 0, List.of()));
    kept.keep(new PeerMessage.Hello(2, 1, 0));
    assertEquals(List.of(new PeerMessage.Hello(2, 1, 0)), kept.takeFor(2));
  }

  @Test
  void whenFullTheOldestIsDropped() {
    EarlyMessages kept = new EarlyMessages(2);
    kept.keep(new PeerMessage.Probe(2, 1));
    kept.keep(new PeerMessage.Probe(2, 2));
    kept.keep(new PeerMessage.Probe(2, 3));
    assertEquals(List.of(new PeerMessage.Probe(2, 2), new PeerMessage.Probe(2, 3)), kept.takeAll());
    assertThrows(IllegalArgumentException.class, () -> new EarlyMessages(0));
  }
}
