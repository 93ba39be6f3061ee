package dev.junction.sharding.placement;

import dev.junction.sharding.routing.RoutingTable;
import dev.junction.store.Keys;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The request keys the gateways sampled, per range: the newest {@code keep} of each range, whose median
 * is where a load-based split cuts it so that each part gets about half of the requests. Pure.
 */
public final class KeySamples {
  private final int keep;
  private final Map<Long, ArrayDeque<byte[]>> byRange = new HashMap<>();

  /** @param keep how many of the newest samples to keep per range (at least 1) */
  public KeySamples(int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep at least one sample, not " + keep);
    }
    this.keep = keep;
  }

  /** A gateway's samples of one window, per range. */
  public void report(Map<Long, List<byte[]>> samples) {
    samples.forEach((range, keys) -> {
      ArrayDeque<byte[]> q = byRange.computeIfAbsent(range, r -> new ArrayDeque<>());
      for (byte[] k : keys) {
        q.addLast(k.clone());
        if (q.size() > keep) {
          q.removeFirst();
        }
      }
    });
  }

  /**
   * Each range's median sampled key (of the ranges with samples), after forgetting the ranges no longer in
   * {@code table}.
   */
  public Map<Long, byte[]> medians(RoutingTable table) {
    byRange.keySet().removeIf(id -> table.range(id).isEmpty());
    Map<Long, byte[]> out = new HashMap<>();
    byRange.forEach((range, q) -> {
      if (!q.isEmpty()) {
        List<byte[]> sorted = new ArrayList<>(q);
        sorted.sort(Keys::compare);
        out.put(range, sorted.get(sorted.size() / 2));
      }
    });
    return out;
  }
}
