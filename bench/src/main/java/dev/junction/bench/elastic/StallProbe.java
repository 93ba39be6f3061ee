package dev.junction.bench.elastic;

import dev.junction.client.JunctionClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A light client beside the measured load of {@code bench/elastic.sh} (with {@code ELASTIC_PROBE=1}) that
 * says which ranges stall, and when: aggregate throughput cannot tell a stall of every range from one
 * range's, and with closed-loop clients one stalled range soon holds every client thread.
 *
 * <pre>
 * StallProbe ENDPOINTS SECONDS SLOW_MS
 * </pre>
 *
 * Runs 25 threads, each with its own key ({@code user00probe}, {@code user04probe}, ... {@code
 * user96probe}: 4 % of YCSB's key space apart, so every range of a 24-range table has one or two), each
 * doing a put of 100 bytes and a get of its key every 100 ms, for {@code SECONDS}. Prints every operation
 * that took {@code SLOW_MS} or more, or failed: {@code SECONDS_SINCE_START KEY put|get MILLIS [ERROR]},
 * the time being the operation's start. The controller's log lines ("move N of range R starts", "range R:
 * ... joins the chain at the tail", "operator N of range R ended") then say what each stall coincided
 * with. Bounded by {@code SECONDS}.
 */
public final class StallProbe {
  private static final int KEYS = 25;
  private static final long PAUSE_MS = 100;

  private StallProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: StallProbe ENDPOINTS SECONDS SLOW_MS");
      System.exit(2);
    }
    List<String> endpoints = List.of(args[0].split(","));
    int seconds = Integer.parseInt(args[1]);
    long slowMs = Long.parseLong(args[2]);
    long origin = System.nanoTime();
    long end = origin + Duration.ofSeconds(seconds).toNanos();
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoints).deadline(Duration.ofSeconds(5)).build()) {
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < KEYS; i++) {
        String key = String.format("user%02dprobe", i * 4);
        Thread t = new Thread(() -> probe(client, key, origin, end, slowMs), "probe-" + key);
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join();
      }
    }
  }

  private static void probe(JunctionClient client, String key, long origin, long end, long slowMs) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] value = new byte[100];
    while (System.nanoTime() < end) {
      for (boolean put : new boolean[] {true, false}) {
        long start = System.nanoTime();
        String error = "";
        try {
          if (put) {
            client.put(k, value);
          } else {
            client.get(k);
          }
        } catch (RuntimeException e) {
          error = " " + e.getClass().getSimpleName();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (ms >= slowMs || !error.isEmpty()) {
          synchronized (System.out) {
            System.out.printf("%.3f %s %s %d%s%n", (start - origin) / 1e9, key, put ? "put" : "get", ms, error);
          }
        }
      }
      try {
        Thread.sleep(PAUSE_MS); // the probe's pace: a light load beside the measured one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
