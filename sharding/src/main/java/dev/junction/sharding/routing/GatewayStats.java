package dev.junction.sharding.routing;

import dev.junction.chain.core.ClientReply;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the gateway's requests cost beyond one attempt, counted since the node started: the attempts a
 * replica refused (by reason: a stale table, a replica that cannot serve now), the requests sent again
 * because their range got a new configuration while they waited, the reads sent on to the tail for a key
 * with a write in flight, the routing-table reads from a majority that a refusal started, and the requests
 * whose deadline passed. Cheap enough for the request path (striped counters); read by the metrics.
 */
public final class GatewayStats {
  private final Map<ClientReply.Reason, LongAdder> refused = new EnumMap<>(ClientReply.Reason.class);
  private final LongAdder resent = new LongAdder();
  private final LongAdder toTail = new LongAdder();
  private final LongAdder refreshes = new LongAdder();
  private final LongAdder expired = new LongAdder();

  public GatewayStats() {
    for (ClientReply.Reason r : ClientReply.Reason.values()) {
      refused.put(r, new LongAdder());
    }
  }

  public void refused(ClientReply.Reason reason) {
    refused.get(reason).increment();
  }

  public void resent() {
    resent.increment();
  }

  public void toTail() {
    toTail.increment();
  }

  public void refreshed() {
    refreshes.increment();
  }

  public void expired() {
    expired.increment();
  }

  /** Attempts refused for {@code reason}. */
  public long refusals(ClientReply.Reason reason) {
    return refused.get(reason).sum();
  }

  /** Requests sent again because their range's configuration changed while they waited. */
  public long resends() {
    return resent.sum();
  }

  /** Reads a replica passed on to the tail (a write in flight for the key). */
  public long sentToTail() {
    return toTail.sum();
  }

  /** Routing-table reads from a majority (one per refused attempt). */
  public long refreshes() {
    return refreshes.sum();
  }

  /** Requests that ran out of time in the gateway. */
  public long expiries() {
    return expired.sum();
  }
}
