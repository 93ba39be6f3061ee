package dev.junction.chain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogRetentionTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void keepsTheRetainedRecordsAndTruncatesInSteps() {
    LogRetention r = new LogRetention(10_000, 0);
    assertEquals(-1, r.truncateUpTo(10_000, 0, 1), "nothing beyond the retained records yet");
    assertEquals(-1, r.truncateUpTo(11_023, 0, 2), "less than one step (1,024) to cut");
    assertEquals(1_024, r.truncateUpTo(11_024, 0, 3));
    assertEquals(-1, r.truncateUpTo(12_000, 0, 4));
    assertEquals(2_048, r.truncateUpTo(12_048, 0, 5));
  }

  @Test
  void aSmallRetainedLogIsAlsoTheStep() {
    LogRetention r = new LogRetention(20, 0);
    assertEquals(-1, r.truncateUpTo(39, 0, 1));
    assertEquals(20, r.truncateUpTo(40, 0, 2));
  }

  @Test
  void theRangesEndingStays() {
    LogRetention r = new LogRetention(20, 0);
    assertEquals(49, r.truncateUpTo(500, 50, 1), "up to just before the ending");
    assertEquals(-1, r.truncateUpTo(900, 50, 2));
  }

  @Test
  void aHoldKeepsTheWholeLogUntilItRunsOut() {
    LogRetention r = new LogRetention(20, 0);
    r.hold(10 * SECOND, 5 * SECOND);
    r.hold(11 * SECOND, 1 * SECOND); // a shorter hold does not end the longer one
    assertEquals(-1, r.truncateUpTo(1_000, 0, 12 * SECOND));
    assertEquals(-1, r.truncateUpTo(5_000, 0, 15 * SECOND - 1));
    assertEquals(4_980, r.truncateUpTo(5_000, 0, 15 * SECOND), "then everything old goes at once");
  }

  @Test
  void aNegativeClockIsNoHold() {
    LogRetention r = new LogRetention(20, -50 * SECOND);
    assertEquals(80, r.truncateUpTo(100, 0, -49 * SECOND));
  }
}
