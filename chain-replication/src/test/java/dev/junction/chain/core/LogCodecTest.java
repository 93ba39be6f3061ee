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
