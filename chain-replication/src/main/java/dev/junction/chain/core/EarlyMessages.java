package dev.junction.chain.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Peer messages of an epoch a replica has not adopted yet, kept until it has. When a chain is
 * reconfigured its replicas learn the new configuration milliseconds apart, and the first to work at it
 * (a new tail greeting its predecessor, the others telling the new tail what they hold) reach replicas
 * that still work at the old one. Dropped, each would wait for its sender's resend timer
 * ({@code resend-after-ticks}: 400-600 ms with the defaults), and with it every write of the range: a
 * stall at each step of every move. Kept, they are handled the moment the configuration arrives.
 *
 * <p>Forwards and backfills (the messages that carry entries) are not kept: every replica greets its
 * predecessor when it adopts a configuration, and the predecessor then resends all it lacks. So what is
 * kept is small, and bounded: beyond {@code limit} messages the oldest is dropped (the timers still
 * recover it). Duplicates are harmless to the protocol, so a message kept and also resent does no harm.
 */
public final class EarlyMessages {
  /** Enough for the greetings and notices of a few reconfigurations. */
  public static final int DEFAULT_LIMIT = 64;

  private final ArrayDeque<PeerMessage> kept = new ArrayDeque<>();
  private final int limit;

  public EarlyMessages(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    this.limit = limit;
  }

  /** Keeps {@code message} for later, dropping the oldest kept one when full; not entries (see above). */
  public void keep(PeerMessage message) {
    if (message instanceof PeerMessage.Forward || message instanceof PeerMessage.Backfill) {
      return;
    }
    if (kept.size() == limit) {
      kept.pollFirst();
    }
    kept.addLast(message);
  }

  /**
   * The kept messages of {@code epoch}, in arrival order, no longer kept; those of older epochs are
   * dropped (their senders have moved on or will be told), those of newer ones stay.
   */
  public List<PeerMessage> takeFor(long epoch) {
    if (kept.isEmpty()) {
      return List.of();
    }
    List<PeerMessage> due = new ArrayList<>();
    int n = kept.size();
    for (int i = 0; i < n; i++) {
      PeerMessage m = kept.pollFirst();
      if (m.epoch() == epoch) {
        due.add(m);
      } else if (m.epoch() > epoch) {
        kept.addLast(m);
      }
    }
    return due;
  }

  /** Every kept message, in arrival order, no longer kept. */
  public List<PeerMessage> takeAll() {
    List<PeerMessage> all = new ArrayList<>(kept);
    kept.clear();
    return all;
  }

  public int size() {
    return kept.size();
  }
}
