package dev.junction.chain.bulk;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A bounded pool of equal, direct (registrable) buffers for bulk transfers, shared by the peers a node
 * talks to. When buffers run short, each active peer may hold at most its share (the pool size divided by
 * the number of peers holding or waiting for buffers, at least one), so one busy transfer cannot starve
 * the others — Kreon's answer to limited pinned memory. Used by every {@code BulkTransport}.
 */
public final class BufferPool {
  private final int bufferSize;
  private final int capacity;
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  private final Map<String, Integer> held = new HashMap<>();
  private final Map<String, Integer> waiting = new HashMap<>();
  private int created;

  public BufferPool(int bufferSize, int capacity) {
    if (bufferSize <= 0 || capacity <= 0) {
      throw new IllegalArgumentException("buffer size and capacity must be positive");
    }
    this.bufferSize = bufferSize;
    this.capacity = capacity;
  }

  public int bufferSize() {
    return bufferSize;
  }

  /** How many buffers {@code peer} may hold now: an equal share among the peers holding or waiting. */
  public synchronized int shareOf(String peer) {
    java.util.Set<String> active = new java.util.HashSet<>(held.keySet());
    active.addAll(waiting.keySet());
    active.add(peer);
    return Math.max(1, capacity / active.size());
  }

  /**
   * A buffer for {@code peer}, cleared; waits up to {@code timeout} while the pool is empty or the peer
   * holds its share.
   *
   * @throws InterruptedException if interrupted while waiting
   * @return null if no buffer became available in time
   */
  public synchronized ByteBuffer acquire(String peer, long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    waiting.merge(peer, 1, Integer::sum);
    try {
      while (true) {
        int mine = held.getOrDefault(peer, 0);
        boolean available = !free.isEmpty() || created < capacity;
        if (available && mine < shareOf(peer)) {
          ByteBuffer b = free.isEmpty() ? newBuffer() : free.poll();
          held.merge(peer, 1, Integer::sum);
          b.clear();
          return b;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    } finally {
      if (waiting.merge(peer, -1, Integer::sum) == 0) {
        waiting.remove(peer);
      }
    }
  }

  private ByteBuffer newBuffer() {
    created++;
    return ByteBuffer.allocateDirect(bufferSize);
  }

  /** Returns a buffer {@code peer} acquired. */
  public synchronized void release(String peer, ByteBuffer buffer) {
    Integer n = held.get(peer);
    if (n == null || buffer.capacity() != bufferSize) {
      throw new IllegalStateException("buffer not acquired by " + peer);
    }
    if (n == 1) {
      held.remove(peer);
    } else {
      held.put(peer, n - 1);
    }
    free.push(buffer);
    notifyAll();
  }

  /** Buffers held by {@code peer}. */
  public synchronized int heldBy(String peer) {
    return held.getOrDefault(peer, 0);
  }
}
