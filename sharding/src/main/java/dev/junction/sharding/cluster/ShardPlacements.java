package dev.junction.sharding.cluster;

import java.util.HashMap;
import java.util.Map;

/**
 * Which replica locations the controller still has to tell Cluster Sharding (its external allocation
 * strategy, a Distributed Data map). Telling it a location rewrites that entry and gossips it to every
 * node, so after each routing table only the locations that changed are told, not every replica's; every
 * {@code refreshNanos} all of them are told again, which repairs an entry another controller (one that
 * lost its majority in the meantime) may have overwritten. Not thread-safe: the controller's actor owns it.
 *
 * @param <A> an address
 */
final class ShardPlacements<A> {
  private final long refreshNanos;
  private final Map<String, A> told = new HashMap<>();
  private long toldAllAt;
  private boolean toldAll;

  ShardPlacements(long refreshNanos) {
    this.refreshNanos = refreshNanos;
  }

  /** Locations to tell; {@code all}: every location wanted, not only those that changed. */
  record Batch<A>(Map<String, A> locations, boolean all) {}

  /** What to tell for the locations {@code wanted} at {@code now}: all of them, or those that changed. */
  Batch<A> toTell(Map<String, A> wanted, long now) {
    if (!toldAll || now - toldAllAt >= refreshNanos) {
      return new Batch<>(Map.copyOf(wanted), true);
    }
    Map<String, A> changed = new HashMap<>();
    wanted.forEach((entity, location) -> {
      if (!location.equals(told.get(entity))) {
        changed.put(entity, location);
      }
    });
    return new Batch<>(Map.copyOf(changed), false);
  }

  /** {@code batch} (made at {@code madeAt}) was told. */
  void told(Batch<A> batch, long madeAt) {
    told.putAll(batch.locations());
    if (batch.all()) {
      toldAll = true;
      toldAllAt = madeAt;
    }
  }

  /** Telling failed: tell every location again next time. */
  void forget() {
    told.clear();
    toldAll = false;
  }
}
