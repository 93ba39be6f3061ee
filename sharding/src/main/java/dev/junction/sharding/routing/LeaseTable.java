package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReplicaId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The controller's record of the replicas' read leases, as a pure class on a caller-supplied monotonic
 * clock (nanoseconds). Every replica of a chain serves reads (CRAQ), each under its own lease. The table
 * answers two questions: may this replica have a lease now ({@link #grant}), and can no lease of this
 * replica still be running anywhere ({@link #released}), which is what the controller must know before it
 * commits a configuration without that replica.
 *
 * <p>Why it is safe: the replica counts its lease from the moment it <i>asked</i>, the controller from
 * the moment it <i>granted</i>, which is later; both clocks are monotonic and run at the same rate up to a
 * small drift covered by {@code margin}. So the controller's view of a lease ends after the replica's.
 *
 * <p>A controller that starts (the singleton moved to another node) does not know what its predecessor
 * granted: it treats every replica as leased until one lease duration (plus margin) after it started.
 *
 * <p>A replica whose node is lost is <i>revoked</i>: it gets no new grant, so its lease runs out; when it
 * has, {@link #released} says so. A revocation the controller no longer asks for (the node came back
 * before the replica was removed) is lifted.
 */
public final class LeaseTable {
  private final long duration;
  private final long margin;
  private final long quietUntil;
  private final Map<ReplicaId, Long> grants = new HashMap<>();
  private Set<ReplicaId> revoked = Set.of();

  /**
   * @param lease how long a grant lets a replica serve reads
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
   * it) at {@code now}: its duration, or empty when the replica is not in that configuration's chain or is
   * revoked.
   */
  public OptionalLong grant(RangeConfig range, int slot, long now) {
    return grant(range, null, slot, now);
  }

  /**
   * The same, while the controller publishes a new configuration {@code publishing} of the range (null:
   * none, or the range is unchanged): that one may already be in effect somewhere, so the replica must be
   * in its chain too. A replica whose removal is being published gets no lease, even if its node is back.
   */
  public OptionalLong grant(RangeConfig range, RangeConfig publishing, int slot, long now) {
    if (range == null || range.indexOf(slot) < 0) {
      return OptionalLong.empty();
    }
    ReplicaId id = range.replicaId(slot);
    if (revoked.contains(id)) {
      return OptionalLong.empty();
    }
    if (publishing != null && (publishing.rangeId() != range.rangeId() || publishing.indexOf(slot) < 0)) {
      return OptionalLong.empty();
    }
    grants.put(id, now + duration);
    return OptionalLong.of(duration);
  }

  /**
   * The replicas whose node is lost: they get no grant from now on. Replaces the previous set, so a
   * replica no longer listed may be granted again.
   */
  public void revokeOnly(Set<ReplicaId> lost) {
    revoked = Set.copyOf(lost);
  }

  public boolean isRevoked(long rangeId, int slot) {
    return revoked.contains(new ReplicaId(rangeId, slot));
  }

  /**
   * True when replica {@code slot} of range {@code rangeId} is revoked and no lease it was ever granted,
   * by this controller or a previous one, can still run at {@code now}.
   */
  public boolean released(long rangeId, int slot, long now) {
    if (!isRevoked(rangeId, slot) || now - quietUntil < 0) {
      return false;
    }
    Long until = grants.get(new ReplicaId(rangeId, slot));
    return until == null || now - (until + margin) >= 0;
  }

  /**
   * When {@link #released} of a revoked replica turns true at the earliest: the time to look again, or
   * {@code now} when it already is.
   */
  public long releaseTime(long rangeId, int slot, long now) {
    long t = quietUntil;
    Long until = grants.get(new ReplicaId(rangeId, slot));
    if (until != null) {
      t = Math.max(t - now, until + margin - now) + now;
    }
    return t - now <= 0 ? now : t;
  }

  /** Forgets the grants of replicas no longer in any chain of {@code table} and not revoked. */
  public void forgetAllBut(RoutingTable table) {
    grants.keySet().removeIf(id -> !revoked.contains(id)
        && table.range(id.rangeId()).map(r -> r.indexOf(id.slot()) < 0).orElse(true));
  }
}
