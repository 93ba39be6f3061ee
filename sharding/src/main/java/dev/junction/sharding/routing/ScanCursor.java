package dev.junction.sharding.routing;

import dev.junction.chain.core.ReadOp;
import dev.junction.store.Keys;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a scan over several ranges stands: which part to ask next and for how many entries. Immutable; a
 * router keeps one per scan in flight and replaces it after each answer:
 *
 * <pre>{@code
 * ScanCursor c = ScanCursor.start(table, from, to, limit);
 * while (!c.isDone()) {
 *   List<KeyValue> got = askTail(c.nextPart().range(), c.nextRequest());
 *   c = c.afterReply(got.size());
 * }
 * }</pre>
 *
 * <p>It relies on what a tail's scan guarantees: asked for up to {@code n} entries of an interval, it
 * returns {@code n} entries, or all of them when the interval holds fewer. So an answer shorter than asked
 * means the part is exhausted, and an answer of exactly {@code n} entries reaches the limit.
 */
public final class ScanCursor {
  private final List<ScanPlan.Part> parts;
  private final byte[] to;
  private final int limit;
  private final int index;
  private final int received;

  private ScanCursor(List<ScanPlan.Part> parts, byte[] to, int limit, int index, int received) {
    this.parts = parts;
    this.to = to;
    this.limit = limit;
    this.index = index;
    this.received = received;
  }

  /**
   * A cursor at the start of a scan of {@code [from, to)} over {@code table}, for at most {@code limit}
   * entries. Done at once if the interval is empty.
   *
   * @throws IllegalArgumentException if {@code limit} is not positive or the interval is invalid
   */
  public static ScanCursor start(RoutingTable table, byte[] from, byte[] to, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("scan limit must be positive, not " + limit);
    }
    return new ScanCursor(ScanPlan.plan(table, from, to), to.clone(), limit, 0, 0);
  }

  /** True when the limit is reached or every part has been read; nothing more to ask. */
  public boolean isDone() {
    return received == limit || index == parts.size();
  }

  /**
   * The part to ask next (its range names the tail and the epoch).
   *
   * @throws IllegalStateException if the scan is done
   */
  public ScanPlan.Part nextPart() {
    checkNotDone();
    return parts.get(index);
  }

  /** How many entries the next request asks for: the limit minus what was received; 0 when done. */
  public int nextLimit() {
    return isDone() ? 0 : limit - received;
  }

  /**
   * The read to send to the next part's tail.
   *
   * @throws IllegalStateException if the scan is done
   */
  public ReadOp.Scan nextRequest() {
    return nextPart().scan(nextLimit());
  }

  /** Entries received so far, at most the limit. */
  public int received() {
    return received;
  }

  /**
   * The cursor after the next part's tail answered with {@code entries} entries: done if that reaches the
   * limit, otherwise at the following part.
   *
   * @throws IllegalStateException if the scan is done
   * @throws IllegalArgumentException if {@code entries} is negative or more than {@link #nextLimit()}
   */
  public ScanCursor afterReply(int entries) {
    checkNotDone();
    if (entries < 0 || entries > nextLimit()) {
      throw new IllegalArgumentException(
          "a reply to a scan for " + nextLimit() + " entries cannot hold " + entries);
    }
    return new ScanCursor(parts, to, limit, index + 1, received + entries);
  }

  /**
   * The cursor after a reply that the tail cut short at its size budget (it says there is more): the same
   * part goes on right after {@code lastKey}, the last key received.
   *
   * @throws IllegalStateException if the scan is done
   * @throws IllegalArgumentException if {@code entries} is not 1 to {@link #nextLimit()}
   */
  public ScanCursor afterPartialReply(int entries, byte[] lastKey) {
    checkNotDone();
    if (entries < 1 || entries > nextLimit()) {
      throw new IllegalArgumentException(
          "a partial reply to a scan for " + nextLimit() + " entries cannot hold " + entries);
    }
    ScanPlan.Part part = nextPart();
    byte[] resume = Keys.successor(lastKey);
    if (part.subTo().length > 0 && Keys.compare(resume, part.subTo()) >= 0) {
      return new ScanCursor(parts, to, limit, index + 1, received + entries);
    }
    List<ScanPlan.Part> rest = new ArrayList<>(parts);
    rest.set(index, new ScanPlan.Part(part.range(), resume, part.subTo()));
    return new ScanCursor(List.copyOf(rest), to, limit, index, received + entries);
  }

  /**
   * The cursor re-planned over a newer table, for a retry after a stale-epoch answer: the unread rest of
   * the scan, from the next part's start to the scan's end, cut along {@code newer}'s ranges; the count of
   * received entries is kept.
   *
   * @throws IllegalStateException if the scan is done
   */
  public ScanCursor replan(RoutingTable newer) {
    byte[] restFrom = nextPart().subFrom();
    return new ScanCursor(ScanPlan.plan(newer, restFrom, to), to, limit, 0, received);
  }

  /** The parts not asked yet, in key order. */
  public List<ScanPlan.Part> remainingParts() {
    return isDone() ? List.of() : parts.subList(index, parts.size());
  }

  private void checkNotDone() {
    if (isDone()) {
      throw new IllegalStateException("the scan is done: " + received + " of " + limit + " entries");
    }
  }

  /** The received count, the limit and the parts not asked yet. */
  @Override
  public String toString() {
    return "ScanCursor[" + received + "/" + limit + " next " + remainingParts() + "]";
  }
}
