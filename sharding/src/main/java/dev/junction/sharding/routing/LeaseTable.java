package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The controller's record of the tails' read leases, as a pure class on a caller-supplied monotonic clock
 * (nanoseconds). It answers two questions: may this tail have a lease now ({@link #grant}), and can no
 * lease of this tail still be running anywhere ({@link #released}), which is what the controller must
 * know before it lets another replica commit writes as tail.
 *
 * <p>Why it is safe: the tail counts its lease from the moment it <i>asked</i>, the controller from the
 * moment it <i>granted</i>, which is later; both clocks are monotonic and run at the same rate up to a
 * small drift covered by {@code margin}. So the controller's view of a lease ends after the tail's.
 *
 * <p>A controller that starts (the singleton moved to another node) does not know what its predecessor
 * granted: it treats every tail as leased until one lease duration (plus margin) after it started.
 *
 * <p>A tail whose node is lost is <i>revoked</i>: it gets no new grant, so its lease runs out; when it
 * has, {@link #released} says so. A revocation the controller no longer asks for (the node came back
 * before the tail was replaced) is lifted.
 */
public final class LeaseTable {
  private record Grant(int slot, long until) {}

  private final long duration;
  private final long margin;
  private final long quietUntil;
  private final Map<Long, Grant> grants = new HashMap<>();
  private Map<Long, Integer> revoked = Map.of();

  /**
   * @param lease how long a grant lets a tail serve reads
   * @param margin added to every lease on the controller's side, against clock drift
   * @param now the controller's clock when it started
   */
  public LeaseTable(Duration lease, Duration margin, long now) {
    if (lease.isNegative() || lease.isZero() || margin.isNegative()) {
      throw new IllegalArgumentException("a read lease must be positive and its margin not negative");
    }
    this.duration = lease.toNanos();
    this.margin = margin.toNanos();
    this.quietUntil = now + duration + this.margin;
  }

  /** The lease duration a grant gives, in nanoseconds. */
  public long durationNanos() {
    return duration;
  }

  /**
   * A grant of a lease to replica {@code slot} of {@code range} (the controller's current configuration of
   * it) at {@code now}: its duration, or empty when the replica is not that configuration's tail or is
   * revoked.
   */
  public OptionalLong grant(RangeConfig range, int slot, long now) {
    return grant(range, null, slot, now);
  }

  /**
   * The same, while the controller publishes a new configuration {@code publishing} of the range (null:
   * none, or the range is unchanged): that one may already be in effect somewhere, so the replica must be
   * its tail too. A tail whose removal is being published gets no lease, even if its node is back.
   */
  public OptionalLong grant(RangeConfig range, RangeConfig publishing, int slot, long now) {
    if (range == null || range.tail().slot() != slot || isRevoked(range.rangeId(), slot)) {
      return OptionalLong.empty();
    }
    if (publishing != null && (publishing.rangeId() != range.rangeId() || publishing.tail().slot() != slot)) {
      return OptionalLong.empty();
    }
    grants.put(range.rangeId(), new Grant(slot, now + duration));
    return OptionalLong.of(duration);
  }

  /**
   * The tails whose node is lost, by range: they get no grant from now on. Replaces the previous set, so
   * a tail no longer listed may be granted again.
   */
  public void revokeOnly(Map<Long, Integer> lostTails) {
    revoked = Map.copyOf(lostTails);
  }

  public boolean isRevoked(long rangeId, int slot) {
    Integer r = revoked.get(rangeId);
    return r != null && r == slot;
  }

  /**
   * True when replica {@code slot} of range {@code rangeId} is revoked and no lease it was ever granted,
   * by this controller or a previous one, can still run at {@code now}.
   */
  public boolean released(long rangeId, int slot, long now) {
    if (!isRevoked(rangeId, slot) || now - quietUntil < 0) {
      return false;
    }
    Grant g = grants.get(rangeId);
    return g == null || g.slot() != slot || now - (g.until() + margin) >= 0;
  }

  /**
   * When {@link #released} of a revoked tail turns true at the earliest: the time to look again, or
   * {@code now} when it already is.
   */
  public long releaseTime(long rangeId, int slot, long now) {
    long t = quietUntil;
    Grant g = grants.get(rangeId);
    if (g != null && g.slot() == slot) {
      t = Math.max(t - now, g.until() + margin - now) + now;
    }
    return t - now <= 0 ? now : t;
  }
}
