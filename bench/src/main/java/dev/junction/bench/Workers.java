package dev.junction.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one timed round on several threads: all start together, each stops at the common deadline or after
 * its maximum count, and the round's time runs from the start signal until the last one finished.
 */
final class Workers {
  /** Beyond its deadline, a round that has not finished is an error (a stuck commit, say). */
  private static final Duration GRACE = Duration.ofMinutes(2);

  /** The loop of one thread. */
  @FunctionalInterface
  interface Body {
    /**
     * Does operations until {@code System.nanoTime()} reaches {@code deadline} or {@code maxOps} are done,
     * and at least one.
     *
     * @return the operations done
     */
    long run(int thread, long deadline, long maxOps) throws Exception;
  }

  private Workers() {}

  static Throughput run(int threads, Duration length, long maxOpsPerThread, Body body) {
    ExecutorService pool = Executors.newFixedThreadPool(threads, Workers::daemon);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch go = new CountDownLatch(1);
      AtomicLong deadline = new AtomicLong();
      List<Future<Long>> results = new ArrayList<>(threads);
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  return body.run(thread, deadline.get(), maxOpsPerThread);
                }));
      }
      await(ready);
      long start = System.nanoTime();
      deadline.set(start + length.toNanos());
      go.countDown();
      long ops = collect(results, start + length.toNanos() + GRACE.toNanos());
      return new Throughput(ops, System.nanoTime() - start);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void await(CountDownLatch ready) {
    try {
      if (!ready.await(GRACE.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("worker threads did not start within " + GRACE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static long collect(List<Future<Long>> results, long giveUpAt) {
    long ops = 0;
    try {
      for (Future<Long> f : results) {
        ops += f.get(Math.max(0, giveUpAt - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("a benchmark thread failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("a benchmark round did not finish " + GRACE + " after its end");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return ops;
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "store-bench-worker");
    t.setDaemon(true);
    return t;
  }
}
