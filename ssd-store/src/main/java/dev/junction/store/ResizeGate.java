package dev.junction.store;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps LMDB read transactions and map resizes apart. LMDB may only change its map size while no
 * transaction of the process is open (the library does not check). Readers {@link #enter()} before they
 * open a read transaction and {@link #exit()} after they closed it; the single writer (who holds the
 * write lock, so no write transaction is open) calls {@link #resize} with the resize as a callback.
 *
 * <p>A pending resize holds new readers back and waits for the open ones. Because a snapshot may stay open
 * for long, and the thread that would close it may itself be held back, the writer waits in bounded rounds:
 * after each it lets readers through again for a moment, and it gives up at its deadline.
 */
final class ResizeGate {
  private static final long ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final AtomicInteger open = new AtomicInteger();
  private final Object monitor = new Object();
  private volatile boolean pending;

  void enter() {
    while (true) {
      if (pending) {
        awaitNotPending();
      }
      open.incrementAndGet();
      if (!pending) {
        return;
      }
      exit();
    }
  }

  void exit() {
    if (open.decrementAndGet() == 0 && pending) {
      synchronized (monitor) {
        monitor.notifyAll();
      }
    }
  }

  int openReaders() {
    return open.get();
  }

  /**
   * Runs {@code resize} once no reader is open, waiting at most {@code maxWaitNanos}.
   *
   * @return false when readers stayed open past the deadline (nothing was run)
   */
  boolean resize(Runnable resize, long maxWaitNanos) throws InterruptedException {
    long deadline = System.nanoTime() + maxWaitNanos;
    while (true) {
      pending = true;
      try {
        long roundEnd = Math.min(deadline, System.nanoTime() + ROUND_NANOS);
        synchronized (monitor) {
          long left;
          while (open.get() > 0 && (left = roundEnd - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.timedWait(monitor, left);
          }
        }
        if (open.get() == 0) {
          resize.run();
          return true;
        }
      } finally {
        pending = false;
        synchronized (monitor) {
          monitor.notifyAll();
        }
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  /** Waits until no resize (or close) is pending. */
  private void awaitNotPending() {
    synchronized (monitor) {
      boolean interrupted = false;
      while (pending) {
        try {
          monitor.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits until no reader is open, at most {@code maxWaitNanos}; returns whether that happened. */
  boolean awaitNoReaders(long maxWaitNanos) throws InterruptedException {
    long deadline = System.nanoTime() + maxWaitNanos;
    synchronized (monitor) {
      pending = true;
      try {
        long left;
        while (open.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
          TimeUnit.NANOSECONDS.timedWait(monitor, Math.min(left, ROUND_NANOS));
        }
        return open.get() == 0;
      } finally {
        pending = false;
        monitor.notifyAll();
      }
    }
  }
}
