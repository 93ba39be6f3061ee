package dev.junction.bench.ycsb;

import dev.junction.client.CasResult;
import dev.junction.client.Entry;
import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * The YCSB binding: each record is one Junction value under the record's key (YCSB's table name is not
 * part of the key, so that a cluster split for {@code user...} keys spreads YCSB's records), through the
 * Java client.
 *
 * <p>Properties: {@code junction.endpoints} (comma-separated {@code host:port}, default
 * {@code 127.0.0.1:7070}) and {@code junction.deadline.ms} (default 5000). YCSB makes one DB per client
 * thread; they share one {@link JunctionClient} per JVM (its channels multiplex all calls), counted so that
 * the last {@link #cleanup} closes it. A partial update reads the record and writes the merge with
 * compare-and-set, retrying a bounded number of times, so concurrent updates of different fields of one
 * record are not lost.
 */
public final class JunctionDB extends DB {
  private static final int UPDATE_ATTEMPTS = 20;
  private static final Object LOCK = new Object();
  private static JunctionClient shared;
  private static int users;

  private JunctionClient client;

  @Override
  public void init() throws DBException {
    Properties p = getProperties();
    List<String> endpoints =
        Arrays.stream(p.getProperty("junction.endpoints", "127.0.0.1:7070").split(",")).map(String::trim).toList();
    Duration deadline = Duration.ofMillis(Long.parseLong(p.getProperty("junction.deadline.ms", "5000")));
    synchronized (LOCK) {
      if (shared == null) {
        try {
          shared = JunctionClient.builder().endpoints(endpoints).deadline(deadline).build();
        } catch (RuntimeException e) {
          throw new DBException("cannot create a Junction client for " + endpoints + ": " + e.getMessage(), e);
        }
      }
      users++;
      client = shared;
    }
  }

  @Override
  public void cleanup() {
    synchronized (LOCK) {
      if (--users == 0 && shared != null) {
        shared.close();
        shared = null;
      }
    }
  }

  private static byte[] key(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
    try {
      Optional<Entry> e = client.get(key(key));
      if (e.isEmpty()) {
        return Status.NOT_FOUND;
      }
      copy(Records.decode(e.get().value()), fields, result);
      return Status.OK;
    } catch (JunctionException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status scan(
      String table, String startkey, int recordcount, Set<String> fields, Vector<HashMap<String, ByteIterator>> result) {
    try {
      for (Entry e : client.scan(key(startkey), new byte[0], recordcount)) {
        HashMap<String, ByteIterator> row = new HashMap<>();
        copy(Records.decode(e.value()), fields, row);
        result.add(row);
      }
      return Status.OK;
    } catch (JunctionException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status update(String table, String key, Map<String, ByteIterator> values) {
    try {
      for (int attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
        Optional<Entry> current = client.get(key(key));
        if (current.isEmpty()) {
          return Status.NOT_FOUND;
        }
        Map<String, byte[]> merged = Records.decode(current.get().value());
        values.forEach((name, v) -> merged.put(name, v.toArray()));
        CasResult r = client.compareAndSet(key(key), current.get().value(), Records.encode(merged));
        if (r.applied()) {
          return Status.OK;
        }
      }
      return Status.ERROR;
    } catch (JunctionException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status insert(String table, String key, Map<String, ByteIterator> values) {
    Map<String, byte[]> fields = new HashMap<>();
    values.forEach((name, v) -> fields.put(name, v.toArray()));
    try {
      client.put(key(key), Records.encode(fields));
      return Status.OK;
    } catch (JunctionException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status delete(String table, String key) {
    try {
      client.delete(key(key));
      return Status.OK;
    } catch (JunctionException e) {
      return Status.ERROR;
    }
  }

  private static void copy(Map<String, byte[]> record, Set<String> fields, Map<String, ByteIterator> result) {
    record.forEach(
        (name, v) -> {
          if (fields == null || fields.contains(name)) {
            result.put(name, new ByteArrayByteIterator(v));
          }
        });
  }
}
