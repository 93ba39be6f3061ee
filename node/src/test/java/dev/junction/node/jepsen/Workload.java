package dev.junction.node.jepsen;

import dev.junction.client.CasResult;
import dev.junction.client.Entry;
import dev.junction.client.InvalidArgumentException;
import dev.junction.client.JunctionClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Concurrent clients doing get, put and compare-and-set on a few keys through the Java client, each
 * recording what it invoked and what it learned, as a history for {@link LinearizabilityChecker}.
 *
 * <p>Outcomes are recorded conservatively: an answered operation is OK; a write the client reports as
 * certainly not applied ({@code UnavailableException.notApplied()}: no connection, or a gateway that
 * passed it to no replica) is FAIL; any other failed write is UNKNOWN (a deadline, a node that died with
 * the request, a gateway that could not reach the chain: it may or may not have taken effect); a read
 * that failed says nothing.
 * A client that learned nothing pauses, twice as long after each further failure (up to a second), so
 * that one outage does not fill the history with unknown writes (each of which the checker may place
 * anywhere after its call).
 */
final class Workload {
  /** What a run produced: the history, and how many writes ended with an unknown outcome. */
  record Run(List<Op> history, int unknown) {}

  private final List<String> endpoints;
  private final List<String> keys;
  private final int clients;
  private final Duration deadline;
  private final List<Op> history = Collections.synchronizedList(new ArrayList<>());
  private final List<Long> okWrites = Collections.synchronizedList(new ArrayList<>());
  private final List<Long> okReads = Collections.synchronizedList(new ArrayList<>());

  /** Operations recorded so far (answered, or writes with an unknown outcome). */
  int operations() {
    return history.size();
  }

  /** Operations recorded that completed after {@code t} (System.nanoTime). */
  long operationsAfter(long t) {
    synchronized (history) {
      return history.stream().filter(o -> o.complete() - t > 0).count();
    }
  }

  /** Successful writes (put or compare-and-set) that completed after {@code t} (System.nanoTime). */
  long writesAfter(long t) {
    synchronized (okWrites) {
      return okWrites.stream().filter(x -> x - t > 0).count();
    }
  }

  /** Successful reads that completed after {@code t}. */
  long readsAfter(long t) {
    synchronized (okReads) {
      return okReads.stream().filter(x -> x - t > 0).count();
    }
  }

  Workload(List<String> endpoints, List<String> keys, int clients, Duration deadline) {
    this.endpoints = endpoints;
    this.keys = keys;
    this.clients = clients;
    this.deadline = deadline;
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(Optional<Entry> e) {
    return e.map(x -> new String(x.value(), StandardCharsets.UTF_8)).orElse(null);
  }

  /**
   * Runs the clients until {@code stop} is set or {@code maxTime} passed (at most {@code maxOpsPerClient}
   * operations each), then has one client read every key until it gets an answer (for at most
   * {@code finalReads}): those reads are in the history too, after everything else.
   */
  Run run(AtomicBoolean stop, Duration maxTime, int maxOpsPerClient, Duration finalReads) throws InterruptedException {
    int[] unknown = new int[1];
    long end = System.nanoTime() + maxTime.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < clients; p++) {
      int process = p;
      List<String> rotated = new ArrayList<>(endpoints.subList(p % endpoints.size(), endpoints.size()));
      rotated.addAll(endpoints.subList(0, p % endpoints.size()));
      Thread t = new Thread(() -> {
        Random random = new Random(process * 7919L + System.nanoTime());
        try (JunctionClient client = JunctionClient.builder().endpoints(rotated).deadline(deadline).build()) {
          String lastSeen = null;
          long backoff = 50;
          for (int n = 0; n < maxOpsPerClient && !stop.get() && System.nanoTime() - end < 0; n++) {
            String key = keys.get(random.nextInt(keys.size()));
            int dice = random.nextInt(10);
            long invoke = System.nanoTime();
            boolean learned = true;
            if (dice < 4) {
              try {
                String got = s(client.get(b(key)));
                long done = System.nanoTime();
                history.add(Op.read(process, key, got, invoke, done));
                okReads.add(done);
                lastSeen = got;
              } catch (RuntimeException e) {
                learned = false; // a failed read says nothing
              }
            } else {
              String value = "p" + process + "-" + n;
              boolean cas = dice >= 7;
              String expected = random.nextBoolean() ? lastSeen : null;
              try {
                if (cas) {
                  CasResult r = client.compareAndSet(b(key), expected == null ? null : b(expected), b(value));
                  long done = System.nanoTime();
                  history.add(Op.cas(process, key, expected, value, r.applied(), invoke, done, Op.Outcome.OK));
                  lastSeen = r.applied() ? value : s(r.current());
                  okWrites.add(done);
                } else {
                  client.put(b(key), b(value));
                  long done = System.nanoTime();
                  history.add(Op.write(process, key, value, invoke, done, Op.Outcome.OK));
                  okWrites.add(done);
                  lastSeen = value;
                }
              } catch (InvalidArgumentException e) {
                throw e; // the workload is wrong, not the cluster
              } catch (RuntimeException e) {
                learned = false;
                // Refused before any replica had it (no connection, or the gateway passed it to none):
                // certainly not applied. Anything else may have been.
                Op.Outcome outcome = e instanceof dev.junction.client.UnavailableException u && u.notApplied()
                    ? Op.Outcome.FAIL : Op.Outcome.UNKNOWN;
                long done = System.nanoTime();
                history.add(cas
                    ? Op.cas(process, key, expected, value, false, invoke, done, outcome)
                    : Op.write(process, key, value, invoke, done, outcome));
                if (outcome == Op.Outcome.UNKNOWN) {
                  synchronized (unknown) {
                    unknown[0]++;
                  }
                }
              }
            }
            if (!learned) {
              Thread.sleep(backoff); // back off, more the longer the outage lasts: each unknown write widens the search
              backoff = Math.min(backoff * 2, 1_000);
            } else {
              backoff = 50;
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "workload-client-" + p);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join(maxTime.toMillis() + 60_000);
      if (t.isAlive()) {
        throw new AssertionError(t.getName() + " did not finish");
      }
    }
    finalReads(finalReads);
    return new Run(List.copyOf(history), unknown[0]);
  }

  /** {@link #run} on a thread of its own: the history comes when {@code stop} is set or the time is up. */
  CompletableFuture<Run> start(AtomicBoolean stop, Duration maxTime, int maxOpsPerClient,
      Duration finalReads) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return run(stop, maxTime, maxOpsPerClient, finalReads);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Reads every key once more, retrying each until it is answered, after all clients stopped. */
  private void finalReads(Duration budget) throws InterruptedException {
    long end = System.nanoTime() + budget.toNanos();
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoints).deadline(deadline).build()) {
      for (String key : keys) {
        while (true) {
          long invoke = System.nanoTime();
          try {
            history.add(Op.read(clients, key, s(client.get(b(key))), invoke, System.nanoTime()));
            break;
          } catch (RuntimeException e) {
            if (System.nanoTime() - end > 0) {
              throw new AssertionError("the cluster did not answer a read of " + key + " within " + budget, e);
            }
            Thread.sleep(200); // retry interval of a deadline wait
          }
        }
      }
    }
  }
}
