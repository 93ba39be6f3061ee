package dev.junction.chain.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/**
 * Settings of the chain replication layer: the only place that reads {@code junction.chain.*} keys.
 * Defaults are in this module's {@code reference.conf}.
 *
 * @param tick how often a replica's clock ticks (resends, lease renewals, repeated greetings)
 * @param resendAfterTicks ticks without progress after which unacknowledged entries are sent again
 * @param maxForwardBytes most bytes of keys and values in one forward (a larger entry travels alone)
 * @param retainedLog committed log records a replica keeps for successors that fall behind
 * @param dedupPerClient request ids remembered per client (at-most-once retries)
 * @param dedupClients clients remembered
 * @param maxQueuedWrites writes a new head holds while it takes back what its successors hold; more are
 *     refused as retryable
 * @param leftoverWipeAfter how long after a replica left its chain its node wipes the data it left there
 *     (see {@code dev.junction.chain.replica.Leftovers})
 * @param leftoverSweepEvery how often a node looks in its store for data of replicas that are dead by its
 *     routing table and that no replica scheduled a wipe of
 * @param followBeforeJoin how long after a node's replicas began running its copies may join: a copy to a
 *     newer node follows its chain's committed entries ({@link PeerMessage.Follow}) until then, not only
 *     until it caught up (0: no such wait)
 */
public record ChainSettings(
    Duration tick,
    int resendAfterTicks,
    int maxForwardBytes,
    long retainedLog,
    int dedupPerClient,
    int dedupClients,
    int maxQueuedWrites,
    Duration leftoverWipeAfter,
    Duration leftoverSweepEvery,
    Duration followBeforeJoin,
    Duration unstartedStopAfter) {

  /** The defaults of {@code reference.conf}, for tests and tools. */
  public static final ChainSettings DEFAULTS =
      new ChainSettings(Duration.ofMillis(200), 3, 1 << 20, 10_000, 256, 100_000, 10_000, Duration.ofSeconds(60), Duration.ofSeconds(30),
          Duration.ZERO, Duration.ofMinutes(2));

  public ChainSettings {
    if (tick.isNegative() || tick.isZero()) {
      throw new IllegalArgumentException("junction.chain.tick must be positive");
    }
    positive("resend-after-ticks", resendAfterTicks);
    positive("max-forward-bytes", maxForwardBytes);
    positive("retained-log", retainedLog);
    positive("dedup.per-client", dedupPerClient);
    positive("dedup.clients", dedupClients);
    positive("max-queued-writes", maxQueuedWrites);
    if (leftoverWipeAfter.isNegative()) {
      throw new IllegalArgumentException("junction.chain.leftovers.wipe-after must not be negative");
    }
    if (leftoverSweepEvery.isNegative() || leftoverSweepEvery.isZero()) {
      throw new IllegalArgumentException("junction.chain.leftovers.sweep-every must be positive");
    }
    if (followBeforeJoin.isNegative()) {
      throw new IllegalArgumentException("junction.chain.follow-before-join must not be negative");
    }
    if (unstartedStopAfter.isNegative() || unstartedStopAfter.isZero()) {
      throw new IllegalArgumentException("junction.chain.unstarted-stop-after must be positive");
    }
  }

  private static void positive(String key, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException("junction.chain." + key + " must be positive, not " + v);
    }
  }

  /** Reads {@code junction.chain} from a full configuration (with this module's reference defaults). */
  public static ChainSettings fromConfig(Config config) {
    Config c = config.withFallback(ConfigFactory.defaultReference()).getConfig("junction.chain");
    long forward = c.getBytes("max-forward-bytes");
    if (forward > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("junction.chain.max-forward-bytes is too large: " + forward);
    }
    return new ChainSettings(
        c.getDuration("tick"),
        c.getInt("resend-after-ticks"),
        (int) forward,
        c.getLong("retained-log"),
        c.getInt("dedup.per-client"),
        c.getInt("dedup.clients"),
        c.getInt("max-queued-writes"),
        c.getDuration("leftovers.wipe-after"),
        c.getDuration("leftovers.sweep-every"),
        c.getDuration("follow-before-join"),
        c.getDuration("unstarted-stop-after"));
  }
}
