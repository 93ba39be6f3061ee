package dev.junction.chain.core;

import dev.junction.store.Keys;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The configuration of one sub-range: its key interval {@code [start, end)} (an empty {@code end} is open),
 * its epoch (raised by every change of the chain), and its chain, head first and tail last.
 */
public record RangeConfig(long rangeId, byte[] start, byte[] end, long epoch, List<Replica> chain) {
  public RangeConfig {
    if (rangeId < 0 || epoch < 0) {
      throw new IllegalArgumentException("range id and epoch must not be negative");
    }
    if (start == null || end == null) {
      throw new IllegalArgumentException("range " + rangeId + " has a missing bound");
    }
    if (end.length > 0 && Keys.compare(start, end) >= 0) {
      throw new IllegalArgumentException("range " + rangeId + " is empty or inverted");
    }
    start = start.clone();
    end = end.clone();
    chain = List.copyOf(chain);
    if (chain.stream().map(Replica::slot).distinct().count() != chain.size()) {
      throw new IllegalArgumentException("range " + rangeId + " has a slot twice in its chain");
    }
  }

  public boolean contains(byte[] key) {
    return Keys.compare(key, start) >= 0 && (end.length == 0 || Keys.compare(key, end) < 0);
  }

  public Replica head() {
    return chain.get(0);
  }

  public Replica tail() {
    return chain.get(chain.size() - 1);
  }

  /** Position of {@code slot} in the chain, or -1. */
  public int indexOf(int slot) {
    for (int i = 0; i < chain.size(); i++) {
      if (chain.get(i).slot() == slot) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether a replica {@code slot} asked to copy the range at {@code askedEpoch} can never join it by this
   * configuration: the range went on to a later epoch without it. A copy joins only at the epoch after the
   * one it was asked at (the controller gives it up once the epoch moves first), so waiting is in vain.
   */
  public boolean movedOnWithout(long askedEpoch, int slot) {
    return epoch > askedEpoch && indexOf(slot) < 0;
  }

  public Optional<Replica> successor(int slot) {
    int i = indexOf(slot);
    return i >= 0 && i + 1 < chain.size() ? Optional.of(chain.get(i + 1)) : Optional.empty();
  }

  public Optional<Replica> predecessor(int slot) {
    int i = indexOf(slot);
    return i > 0 ? Optional.of(chain.get(i - 1)) : Optional.empty();
  }

  public ReplicaId replicaId(int slot) {
    return new ReplicaId(rangeId, slot);
  }

  /** A copy with a new chain and the next epoch. */
  public RangeConfig withChain(List<Replica> newChain) {
    return new RangeConfig(rangeId, start, end, epoch + 1, newChain);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RangeConfig r
        && rangeId == r.rangeId
        && epoch == r.epoch
        && Arrays.equals(start, r.start)
        && Arrays.equals(end, r.end)
        && chain.equals(r.chain);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(rangeId) * 31 + Long.hashCode(epoch);
  }

  @Override
  public String toString() {
    return "Range[" + rangeId + " [" + Keys.printable(start) + ", "
        + (end.length == 0 ? "+inf" : Keys.printable(end)) + ") epoch " + epoch + " chain "
        + chain.stream().map(r -> r.slot() + "@" + r.node()).toList() + "]";
  }
}
