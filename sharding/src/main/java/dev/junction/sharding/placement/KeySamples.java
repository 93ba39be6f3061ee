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
 * is where a load-based split cuts it so that each part gets about half of the requests (and a range
 * whose requests one key dominates is not cut at all). Pure.
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
   * Where to cut each range so that its sampled requests spread over both parts, after forgetting the
   * ranges no longer in {@code table}: the median sampled key; when no sample lies below it (the lowest key
   * is the median: a hot key at the start), the next sampled key above it. A range is absent when its samples
   * are one key, or when either part would get under a quarter of them (one key takes most of the requests:
   * a split would leave its head as busy as before).
   */
  public Map<Long, byte[]> splitKeys(RoutingTable table) {
    byRange.keySet().removeIf(id -> table.range(id).isEmpty());
    Map<Long, byte[]> out = new HashMap<>();
    byRange.forEach((range, q) -> {
      if (q.isEmpty()) {
        return;
      }
      List<byte[]> sorted = new ArrayList<>(q);
      sorted.sort(Keys::compare);
      int n = sorted.size();
      int cut = n / 2;
      while (cut > 0 && Keys.compare(sorted.get(cut - 1), sorted.get(cut)) == 0) {
        cut--; // the first sample of the median key: the parts are below it, and from it on
      }
      if (cut == 0) {
        cut = n / 2;
        while (cut < n && Keys.compare(sorted.get(cut), sorted.get(0)) == 0) {
          cut++; // the first key above the lowest one
        }
      }
      if (cut < n && 4 * Math.min(cut, n - cut) >= n) {
        out.put(range, sorted.get(cut));
      }
    });
    return out;
  }
}
