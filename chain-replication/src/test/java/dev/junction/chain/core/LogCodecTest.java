package dev.junction.chain.core;

import static dev.junction.chain.core.ChainSim.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.junction.store.Versioned;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogCodecTest {
  @Test
  void everyKindOfEntryRoundTrips() {
    List<LogEntry> entries =
        List.of(
            new LogEntry(1, new Mutation.Set(b("k"), b("v")), new RequestId("c1", 9)),
            new LogEntry(2, new Mutation.Remove(b("k")), null),
            new LogEntry(3, new Mutation.CasApplied(b("k"), new byte[0]), new RequestId("c2", 1)),
            new LogEntry(4, new Mutation.CasRejected(b("k"), new Versioned(b("old"), 2)), null),
            new LogEntry(5, new Mutation.CasRejected(b("k"), null), null),
            new LogEntry(6, new Mutation.Split(b("m"), 11, 12), null),
            new LogEntry(7, new Mutation.Seal(b("m"), 13), null),
            new LogEntry(8, new Mutation.MergeInto(b("m"), 13, 6, b("a"), List.of(new Replica(2, "n1"), new Replica(0, "n2"))),
                null));
    for (LogEntry e : entries) {
      LogEntry back = LogCodec.decode(LogCodec.encode(e));
      assertEquals(e.seq(), back.seq());
      assertEquals(e.origin(), back.origin());
      assertEquals(e, new LogEntry(back.seq(), e.mutation(), back.origin()));
      assertEquals(e.result(), back.result());
      assertArrayEquals(e.mutation().key(), back.mutation().key());
      assertEquals(e.mutation().getClass(), back.mutation().getClass());
    }
  }

  /** Every kind, with names outside ASCII (modified UTF-8 takes 1 to 3 bytes a char, and 2 for U+0000). */
  private static List<LogEntry> allKinds() {
    return List.of(
        new LogEntry(1, new Mutation.Set(b("k"), new byte[1100]), new RequestId("c1-\u00e9\u20ac\u0000", 9)),
        new LogEntry(2, new Mutation.Remove(b("k")), null),
        new LogEntry(3, new Mutation.CasApplied(b("k"), new byte[0]), new RequestId("c2", 1)),
        new LogEntry(4, new Mutation.CasRejected(b("k"), new Versioned(b("old"), 2)), null),
        new LogEntry(5, new Mutation.CasRejected(b("k"), null), new RequestId("", 0)),
        new LogEntry(6, new Mutation.Split(b("m"), 11, 12), null),
        new LogEntry(7, new Mutation.Seal(b("m"), 13), null),
        new LogEntry(8, new Mutation.MergeInto(b("m"), 13, 6, b("a"),
            List.of(new Replica(2, "n\u00f6de-1"), new Replica(0, "\u7bc0\u70b9"))), null));
  }

  @Test
  void encodingIsExactlySizedAndWritesTheSameBytesAsTheStreamFormat() throws Exception {
    for (LogEntry e : allKinds()) {
      java.io.ByteArrayOutputStream reference = new java.io.ByteArrayOutputStream();
      try (java.io.DataOutputStream out = new java.io.DataOutputStream(reference)) {
        LogCodec.write(out, e);
      }
      assertEquals(reference.size(), LogCodec.size(e), e.toString());
      assertArrayEquals(reference.toByteArray(), LogCodec.encode(e), e.toString()); // logs on disk stay readable
      assertEquals(e.origin(), LogCodec.decode(LogCodec.encode(e)).origin());
    }
  }

  @Test
  void chainMessagesAreSizedExactly() throws Exception {
    List<PeerMessage> messages = List.of(
        new PeerMessage.Forward(3, 0, allKinds()), new PeerMessage.Backfill(3, 1, List.of()),
        new PeerMessage.Durable(3, 1, 7), new PeerMessage.Ack(3, 2, 7), new PeerMessage.Hello(3, 1, 6),
        new PeerMessage.Welcome(3, 0, 6), new PeerMessage.EpochNotice(4, 0), new PeerMessage.Probe(4, 1),
        new PeerMessage.Holding(4, 2, 5), new PeerMessage.Fetch(4, 1, 2, 9),
        new PeerMessage.Follow(4, 65, 8, "pekko://junction@127.0.0.1:25520/é"));
    for (PeerMessage m : messages) {
      java.io.ByteArrayOutputStream reference = new java.io.ByteArrayOutputStream();
      try (java.io.DataOutputStream out = new java.io.DataOutputStream(reference)) {
        PeerCodec.write(out, m);
      }
      assertEquals(reference.size(), PeerCodec.size(m), m.getClass().getSimpleName());
      if (m instanceof PeerMessage.Follow) { // only fields with value equality: it reads back equal
        assertEquals(m, PeerCodec.read(new java.io.DataInputStream(
            new java.io.ByteArrayInputStream(reference.toByteArray()))));
      }
    }
  }

  @Test
  void anArrayTooSmallForTheEntryIsRefusedNotOverrun() {
    LogCodec.ArrayOutput out = new LogCodec.ArrayOutput(new byte[4], 2);
    out.write(1);
    assertThrows(IllegalStateException.class, () -> out.write(new byte[2], 0, 2));
    assertEquals(3, out.position());
  }

  @Test
  void aSplitKeepsItsNewRangeIds() {
    Mutation.Split back = (Mutation.Split) LogCodec.decode(
        LogCodec.encode(new LogEntry(6, new Mutation.Split(b("m"), 11, 12), null))).mutation();
    assertEquals(11, back.leftId());
    assertEquals(12, back.rightId());
    assertArrayEquals(b("m"), back.key());
  }

  @Test
  void aMergeKeepsTheLeftRangesSequenceStartAndChain() {
    Mutation.MergeInto back = (Mutation.MergeInto) LogCodec.decode(LogCodec.encode(new LogEntry(8,
        new Mutation.MergeInto(b("m"), 13, 6, b("a"), List.of(new Replica(2, "n1"), new Replica(0, "n2"))), null)))
        .mutation();
    assertEquals(13, back.intoId());
    assertEquals(6, back.leftSeq());
    assertArrayEquals(b("a"), back.leftStart());
    assertEquals(List.of(new Replica(2, "n1"), new Replica(0, "n2")), back.leftChain());
    assertEquals(13, ((Mutation.Seal) LogCodec.decode(LogCodec.encode(new LogEntry(7, new Mutation.Seal(b("m"), 13),
        null))).mutation()).intoId());
  }

  @Test
  void foreignBytesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> LogCodec.decode(new byte[] {9, 1, 2}));
    assertThrows(IllegalArgumentException.class, () -> LogCodec.decode(new byte[] {1, 0, 0}));
  }
}
