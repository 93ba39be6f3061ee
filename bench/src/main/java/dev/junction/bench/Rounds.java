package dev.junction.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Both sides' throughput, round by round; a round's two measurements were taken back to back. */
final class Rounds {
  private final List<Throughput> raw = new ArrayList<>();
  private final List<Throughput> store = new ArrayList<>();

  void addRaw(Throughput t) {
    raw.add(t);
  }

  void addStore(Throughput t) {
    store.add(t);
  }

  /** The raw side's operations and time summed over its rounds. */
  Throughput raw() {
    return sum(raw);
  }

  /** The store side's operations and time summed over its rounds. */
  Throughput store() {
    return sum(store);
  }

  private static Throughput sum(List<Throughput> rounds) {
    return rounds.stream().reduce(Throughput.NONE, Throughput::plus);
  }

  /**
   * How much the ratio moved from round to round: the median, lowest and highest store/raw ratio of the
   * single rounds. A wide spread means the machine was noisy and the overall ratio is uncertain.
   */
  String spread() {
    int n = Math.min(raw.size(), store.size());
    if (n == 0) {
      return "no rounds";
    }
    double[] ratios = new double[n];
    for (int i = 0; i < n; i++) {
      ratios[i] = store.get(i).perSecond() / raw.get(i).perSecond();
    }
    Arrays.sort(ratios);
    double median = n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
    return String.format(
        Locale.ROOT, "store/raw per round: median %.2f, %.2f to %.2f", median, ratios[0], ratios[n - 1]);
  }
}
