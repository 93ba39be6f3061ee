package dev.junction.chain.core;

/**
 * Which committed records a replica keeps in its stored log, for successors that fall behind and for new
 * copies that join: at least {@code retained-log} records behind the commit point, the range's ending
 * (a split or merge entry says the range ended, so it stays), and all of them while a copy of the range is
 * under way ({@link #hold}): a copy catches up from its predecessor's log when it joins, and a log cut
 * meanwhile would not reach back whenever more writes than {@code retained-log} came during the copy.
 * Truncation goes in steps (one store delete each) of 1,024 records, or of {@code retained-log} where that
 * is fewer. Pure, on a caller-supplied monotonic clock (nanoseconds).
 */
public final class LogRetention {
  private static final long MAX_STEP = 1024;

  private final long retained;
  private final long step;
  /** Everything up to here was truncated (or never stored). */
  private long truncatedUpTo;
  /** Until when the log is kept whole; in the past from the start. */
  private long heldUntil;

  /**
   * @param retained the committed records to keep ({@link ChainSettings#retainedLog})
   * @param now the clock now
   */
  public LogRetention(long retained, long now) {
    this.retained = retained;
    this.step = Math.min(MAX_STEP, retained);
    this.heldUntil = now;
  }

  /** Keeps the whole log for {@code durationNanos} from {@code now} (a later hold only extends it). */
  public void hold(long now, long durationNanos) {
    long until = now + durationNanos;
    if (until - heldUntil > 0) {
      heldUntil = until;
    }
  }

  /**
   * How far to truncate the stored log now, or -1 for not at all.
   *
   * @param committed the replica's commit point
   * @param sealedAt the sequence number of the range's ending, or 0 while it has none
   */
  public long truncateUpTo(long committed, long sealedAt, long now) {
    long keepFrom = committed - retained;
    if (sealedAt > 0) {
      keepFrom = Math.min(keepFrom, sealedAt - 1);
    }
    if (keepFrom - truncatedUpTo < step || now - heldUntil < 0) {
      return -1;
    }
    truncatedUpTo = keepFrom;
    return keepFrom;
  }
}
