package dev.junction.bench;

import dev.junction.chain.bulk.BufferPool;
import dev.junction.chain.bulk.TcpBulkTransport;
import dev.junction.chain.bulk.TransferRequest;
import dev.junction.chain.bulk.TransferResult;
import dev.junction.store.Durability;
import dev.junction.store.KeyValue;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import dev.junction.store.WriteBatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bulk path's throughput against a raw loopback socket copy of the same bytes, in one run: a store
 * is loaded with {@code --mb} MB of 1 KB values (32-byte keys); then, alternating per round,
 *
 * <ul>
 *   <li><b>raw</b>: one loopback TCP connection carries as many bytes as the range's keys and values,
 *       in 1 MiB writes, the reader draining them into a buffer;
 *   <li><b>bulk</b>: {@link TcpBulkTransport} streams the range from a snapshot to a sink that only
 *       counts (the transport alone);
 *   <li><b>transfer</b>: the same, the sink importing every chunk into a second store (what a new
 *       replica does).
 * </ul>
 *
 * The last line is {@code bulk-vs-raw bulk=R transfer=R} (throughput ratios, medians of the rounds).
 */
public final class BulkBench {
  private BulkBench() {}

  public static void main(String[] args) throws Exception {
    int mb = 256;
    int rounds = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--mb" -> mb = positive(args, ++i);
        case "--rounds" -> rounds = positive(args, ++i);
        case "--quick" -> { mb = 32; rounds = 2; }
        case "--help", "-h" -> {
          System.out.println("usage: bench/bulk-bench.sh [--quick] [--mb N] [--rounds R]\n"
              + "Bulk path (state transfer) throughput against a raw loopback socket copy of the same bytes.\n"
              + "  --mb N      data in the range, MB of 1 KB values (default 256; --quick: 32)\n"
              + "  --rounds R  measured rounds of each kind, alternating (default 3; --quick: 2)");
          return;
        }
        default -> {
          System.err.println("bulk-bench: unknown option " + args[i] + " (see --help)");
          System.exit(2);
        }
      }
    }
    RunDirectory dir = RunDirectory.create(null);
    try {
      run(dir.path(), mb, rounds);
    } finally {
      dir.delete();
    }
  }

  private static int positive(String[] args, int i) {
    try {
      int v = Integer.parseInt(args[i]);
      if (v > 0) {
        return v;
      }
    } catch (RuntimeException e) {
      // below
    }
    System.err.println("bulk-bench: " + args[i - 1] + " needs a positive number");
    System.exit(2);
    return 0;
  }

  private static StoreSettings settings(Path dir) {
    return StoreSettings.defaults(dir).withDurability(Durability.REPLICATED);
  }

  static void run(Path dir, int mb, int rounds) throws Exception {
    long entries = (long) mb * 1024 * 1024 / 1024;
    long bytes;
    try (SsdStore source = SsdStore.open(settings(dir.resolve("source")))) {
      bytes = load(source, entries);
      System.out.printf(Locale.ROOT, "bulk-bench: %d entries, %.1f MB of keys and values%n", entries, bytes / 1e6);
      BufferPool pool = new BufferPool(1 << 20, 8);
      try (TcpBulkTransport server = TcpBulkTransport.start(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), r -> source.snapshot(r.from(), r.to()), pool);
          TcpBulkTransport client = TcpBulkTransport.start(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), r -> source.snapshot(r.from(), r.to()),
              new BufferPool(1 << 20, 8))) {
        List<Double> raw = new ArrayList<>();
        List<Double> bulk = new ArrayList<>();
        List<Double> transfer = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
          double r = rawCopy(bytes);
          double b = bulkCopy(client, server.address(), null, bytes);
          double t;
          try (SsdStore target = SsdStore.open(settings(dir.resolve("target-" + round)))) {
            t = bulkCopy(client, server.address(), target, bytes);
          }
          System.out.printf(Locale.ROOT, "round %d%s: raw %.0f MB/s, bulk %.0f MB/s, transfer %.0f MB/s%n",
              round, round == 0 ? " (warm-up)" : "", r, b, t);
          if (round > 0) {
            raw.add(r);
            bulk.add(b);
            transfer.add(t);
          }
        }
        System.out.printf(Locale.ROOT, "bulk-vs-raw bulk=%.2f transfer=%.2f%n",
            median(bulk) / median(raw), median(transfer) / median(raw));
      }
    }
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /** Loads {@code entries} keys of 32 bytes with 1 KB values; the bytes of keys and values. */
  private static long load(SsdStore store, long entries) {
    Random random = new Random(42);
    long bytes = 0;
    WriteBatch batch = new WriteBatch();
    for (long i = 0; i < entries; i++) {
      byte[] key = String.format(Locale.ROOT, "key-%028d", i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] value = new byte[1024];
      random.nextBytes(value);
      batch.put(key, value, i + 1);
      bytes += key.length + value.length;
      if ((i + 1) % 1000 == 0) {
        store.write(batch);
        batch = new WriteBatch();
      }
    }
    store.write(batch);
    return bytes;
  }

  /** MB/s of one raw loopback socket carrying {@code bytes}. */
  private static double rawCopy(long bytes) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread writer = new Thread(() -> {
        try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
          byte[] chunk = new byte[1 << 20];
          new Random(1).nextBytes(chunk);
          long left = bytes;
          while (left > 0) {
            int n = (int) Math.min(chunk.length, left);
            out.write(chunk, 0, n);
            left -= n;
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      long start = System.nanoTime();
      writer.start();
      long got = 0;
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); InputStream in = s.getInputStream()) {
        ByteBuffer sink = ByteBuffer.allocate(1 << 20);
        byte[] buf = sink.array();
        int n;
        while ((n = in.read(buf)) > 0) {
          got += n;
        }
      }
      writer.join(TimeUnit.MINUTES.toMillis(10));
      if (got != bytes) {
        throw new IllegalStateException("raw copy carried " + got + " of " + bytes + " bytes");
      }
      return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** MB/s of one bulk fetch of the whole key space, into {@code target} (null: counted only). */
  private static double bulkCopy(TcpBulkTransport client, InetSocketAddress server, SsdStore target, long bytes)
      throws Exception {
    AtomicLong seen = new AtomicLong();
    long start = System.nanoTime();
    TransferResult r = client.fetch(server, new TransferRequest(1, new byte[0], new byte[0]), chunk -> {
      for (KeyValue kv : chunk) {
        seen.addAndGet(kv.key().length + kv.value().length);
      }
      if (target != null) {
        target.importEntries(chunk.iterator(), 1024);
      }
    }).get(30, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (seen.get() != bytes || r.bytes() != bytes) {
      throw new IllegalStateException("the bulk path carried " + seen.get() + " of " + bytes + " bytes");
    }
    return bytes / 1e6 / seconds;
  }
}
