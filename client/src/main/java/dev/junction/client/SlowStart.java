package dev.junction.client;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slow start for reads (package-private): a replica endpoint that a client sees in its routing table's
 * chains for the first time gets a share of the reads that grows from nothing to its full share over a
 * window, as load balancers ramp up a newly added backend (Envoy's slow start mode).
 *
 * <p>Why: a node that joins a running cluster is a new JVM, and its read path (its endpoint, gateway,
 * replicas and store) runs at interpreter speed until the JIT has compiled it. Reads are spread at
 * random over a range's replicas, so as soon as the node held a few replicas, a third of their reads
 * waited on its cold code, and closed-loop clients soon all waited there. Measured on a 2-core machine
 * (bench/elastic.sh, YCSB A, a 4th node added; one run each, throughput in the node's first 50 s over
 * the 30 s before): 0.55 and 0.48 with a 20-s slow start, 0.49 with clients that sent it no reads at
 * all, 0.42 with its full share at once; runs of one build spread by about ±0.1, so no gain is shown:
 * it stays for the reason above, which holds wherever a new node's JVM is cold, and costs nothing once
 * the window has passed. Its writes (it is in the chains) are not steered.
 *
 * <p>Endpoints in the first table a client installs are established (a client that starts against a
 * running cluster reads from every node at once); an endpoint that leaves every chain and comes back
 * (a node emptied, or replaced after it was lost, and filled again) starts slowly again. Pure: the caller
 * passes its clock (nanoseconds) and a random number; thread-safe.
 */
final class SlowStart {
  private static final long ESTABLISHED = Long.MIN_VALUE;

  private final long windowNanos;
  /** When each endpoint in the chains was first seen there ({@link #ESTABLISHED}: in the first table). */
  private final ConcurrentHashMap<String, Long> firstSeen = new ConcurrentHashMap<>();
  private boolean primed;
  /** Until when some endpoint's share still ramps (no weights to look up after it), once one did. */
  private volatile long rampingUntil;
  private volatile boolean ramping;

  /** @param windowNanos how long an endpoint's share of the reads takes to ramp up (0: no slow start) */
  SlowStart(long windowNanos) {
    if (windowNanos < 0) {
      throw new IllegalArgumentException("a slow start window is not negative: " + windowNanos);
    }
    this.windowNanos = windowNanos;
  }

  /** The client installed a table whose chains name {@code replicaEndpoints}, at {@code now}. */
  synchronized void tableInstalled(Collection<String> replicaEndpoints, long now) {
    Set<String> in = new HashSet<>(replicaEndpoints);
    firstSeen.keySet().retainAll(in);
    for (String e : in) {
      if (firstSeen.putIfAbsent(e, primed ? now : ESTABLISHED) == null && primed && windowNanos > 0) {
        rampingUntil = now + windowNanos;
        ramping = true;
      }
    }
    primed = true;
  }

  /** {@code endpoint}'s weight for reads at {@code now}: from 0 when first seen to 1 after the window. */
  double weight(String endpoint, long now) {
    Long since = firstSeen.get(endpoint);
    if (since == null || since == ESTABLISHED || windowNanos == 0) {
      return 1;
    }
    long elapsed = now - since;
    return elapsed >= windowNanos ? 1 : Math.max(0, (double) elapsed / windowNanos);
  }

  /**
   * Which of {@code replicas} to read from: at random, each in proportion to its {@link #weight}; with
   * every weight 0 (all of them new), at random alike. {@code random} is uniform in [0, 1).
   */
  int pick(List<String> replicas, long now, double random) {
    int n = replicas.size();
    if (!ramping || now - rampingUntil >= 0) {
      return Math.min(n - 1, (int) (random * n));
    }
    double[] weights = new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) {
      weights[i] = weight(replicas.get(i), now);
      total += weights[i];
    }
    if (total <= 0) {
      return Math.min(n - 1, (int) (random * n));
    }
    double at = random * total;
    for (int i = 0; i < n; i++) {
      at -= weights[i];
      if (at < 0 && weights[i] > 0) {
        return i;
      }
    }
    for (int i = n - 1; i >= 0; i--) { // rounding left a little over: the last endpoint with a weight
      if (weights[i] > 0) {
        return i;
      }
    }
    return n - 1;
  }
}
