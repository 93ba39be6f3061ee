package dev.junction.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.Vector;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;

/** The binding against the client's in-memory fake of the Kv service, on loopback. */
class JunctionDBTest {
  private final FakeStore store = new FakeStore();
  private final FakeServer server = FakeServer.onLoopback(store);
  private final List<JunctionDB> dbs = new ArrayList<>();

  @AfterEach
  void stop() {
    dbs.forEach(JunctionDB::cleanup);
    server.close();
  }

  private DB db() throws DBException {
    return db(2000);
  }

  private DB db(long deadlineMs) throws DBException {
    Properties p = new Properties();
    p.setProperty("junction.endpoints", server.endpoint());
    p.setProperty("junction.deadline", Long.toString(deadlineMs));
    p.setProperty("fieldcount", "3");
    JunctionDB db = new JunctionDB();
    db.setProperties(p);
    db.init();
    dbs.add(db);
    return db;
  }

  private static Map<String, ByteIterator> fields(String... namesAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      m.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return StringByteIterator.getByteIteratorMap(m);
  }

  private static Map<String, String> read(DB db, String key, Set<String> fields) {
    Map<String, ByteIterator> result = new HashMap<>();
    assertEquals(Status.OK, db.read("usertable", key, fields, result));
    return new TreeMap<>(StringByteIterator.getStringMap(result));
  }

  @Test
  void recordsAreInsertedReadUpdatedAndDeleted() throws DBException {
    DB db = db();
    assertEquals(Status.OK, db.insert("usertable", "user1", fields("field0", "a", "field1", "b", "field2", "c")));
    assertEquals(Map.of("field0", "a", "field1", "b", "field2", "c"), read(db, "user1", null));
    assertEquals(Map.of("field1", "b"), read(db, "user1", Set.of("field1")));

    assertEquals(Status.OK, db.update("usertable", "user1", fields("field1", "B")));
    assertEquals(Map.of("field0", "a", "field1", "B", "field2", "c"), read(db, "user1", null));
    assertEquals(Status.OK, db.update("usertable", "user1", fields("field0", "x", "field1", "y", "field2", "z")));
    assertEquals(Map.of("field0", "x", "field1", "y", "field2", "z"), read(db, "user1", null));

    assertEquals(Status.OK, db.delete("usertable", "user1"));
    assertEquals(Status.NOT_FOUND, db.read("usertable", "user1", null, new HashMap<>()));
    assertEquals(Status.NOT_FOUND, db.update("usertable", "user1", fields("field1", "B")));
  }

  @Test
  void aScanReturnsRecordsFromTheStartKeyInKeyOrder() throws DBException {
    DB db = db();
    for (int i = 1; i <= 5; i++) {
      assertEquals(Status.OK, db.insert("usertable", "user" + i, fields("field0", "v" + i, "field1", "w" + i)));
    }
    Vector<HashMap<String, ByteIterator>> rows = new Vector<>();
    assertEquals(Status.OK, db.scan("usertable", "user2", 3, Set.of("field0"), rows));
    List<Map<String, String>> got = rows.stream().map(StringByteIterator::getStringMap).toList();
    assertEquals(List.of(Map.of("field0", "v2"), Map.of("field0", "v3"), Map.of("field0", "v4")), got);
    rows.clear();
    assertEquals(Status.OK, db.scan("usertable", "user4", 100, null, rows));
    assertEquals(2, rows.size());
  }

  @Test
  void concurrentPartialUpdatesOfOneRecordLoseNoField() throws Exception {
    DB first = db();
    assertEquals(Status.OK, first.insert("usertable", "hot", fields("field0", "0", "field1", "0", "field2", "0")));
    int writers = 3;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<String>> last = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      DB db = db();
      int writer = w;
      String field = "field" + w;
      last.add(pool.submit(() -> {
        String ok = "0";
        for (int i = 1; i <= 40; i++) {
          if (db.update("usertable", "hot", fields(field, writer + "-" + i)) == Status.OK) {
            ok = writer + "-" + i;
          }
        }
        return ok;
      }));
    }
    Map<String, String> expected = new TreeMap<>();
    for (int w = 0; w < writers; w++) {
      expected.put("field" + w, last.get(w).get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    // Each field holds the last value its writer was told was written.
    assertEquals(expected, read(first, "hot", null));
    assertTrue(JunctionDB.partialUpdates.sum() >= 3 * 40, "every partial update is counted");
    assertTrue(expected.values().stream().noneMatch(v -> v.equals("0")), "no update went through: " + expected);
  }

  @Test
  void aPartialUpdateThatKeepsLosingRacesTriesAgainWithinItsDeadline() throws DBException {
    DB db = db();
    assertEquals(Status.OK, db.insert("usertable", "hot", fields("field0", "a", "field1", "b", "field2", "c")));
    long lostBefore = JunctionDB.lostRaces.sum();
    store.rivalWrites(60); // a hot record while its range moves: many writers ahead of this one
    assertEquals(Status.OK, db.update("usertable", "hot", fields("field1", "B")));
    assertEquals(60, JunctionDB.lostRaces.sum() - lostBefore, "every rival write cost one lost race");
    assertEquals(Map.of("field0", "a", "field1", "B", "field2", "c"), read(db, "hot", null));
  }

  @Test
  void aPartialUpdateThatLosesEveryRaceUntilItsDeadlineIsAnError() throws DBException {
    DB db = db(200);
    assertEquals(Status.OK, db.insert("usertable", "hot", fields("field0", "a", "field1", "b", "field2", "c")));
    store.rivalWrites(Integer.MAX_VALUE);
    assertEquals(Status.ERROR, db.update("usertable", "hot", fields("field1", "B")));
    store.rivalWrites(0);
    assertEquals(Map.of("field0", "a", "field1", "b", "field2", "c"), read(db, "hot", null));
  }

  @Test
  void pausesBetweenLostRacesStartLateGrowAndStayBounded() {
    for (int lost = 0; lost < JunctionDB.ATTEMPTS_WITHOUT_PAUSE; lost++) {
      assertEquals(0, JunctionDB.pauseMicros(lost, 0.99));
    }
    assertEquals(99, JunctionDB.pauseMicros(JunctionDB.ATTEMPTS_WITHOUT_PAUSE, 0.99));
    assertEquals(198, JunctionDB.pauseMicros(JunctionDB.ATTEMPTS_WITHOUT_PAUSE + 1, 0.99));
    assertEquals(0, JunctionDB.pauseMicros(JunctionDB.ATTEMPTS_WITHOUT_PAUSE + 1, 0.0));
    assertEquals(JunctionDB.MAX_PAUSE_MICROS / 2, JunctionDB.pauseMicros(1_000, 0.5));
    assertEquals(JunctionDB.MAX_PAUSE_MICROS / 2, JunctionDB.pauseMicros(Integer.MAX_VALUE, 0.5));
  }

  @Test
  void aValueThatIsNotARecordIsAnErrorAndAnUnreachableClusterIsUnavailable() throws DBException {
    DB db = db();
    try (dev.junction.client.JunctionClient c =
        dev.junction.client.JunctionClient.builder().endpoints(server.endpoint()).build()) {
      c.put(JunctionDB.key("plain"), "red".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertEquals(Status.ERROR, db.read("usertable", "plain", null, new HashMap<>()));
    server.stop();
    assertEquals(Status.SERVICE_UNAVAILABLE, db.read("usertable", "user1", null, new HashMap<>()));
    assertEquals(Status.SERVICE_UNAVAILABLE, db.insert("usertable", "user1", fields("field0", "a")));
  }

  @Test
  void theRaceSummarySaysHowOftenACompareAndSetLost() {
    assertEquals("JunctionDB: 80,000 partial updates, 1,200 compare-and-sets lost to a concurrent writer and"
        + " retried (1.50%)", JunctionDB.raceSummary(80_000, 1_200));
    assertEquals("JunctionDB: 0 partial updates, 0 compare-and-sets lost to a concurrent writer and retried"
        + " (0.00%)", JunctionDB.raceSummary(0, 0));
  }

  @Test
  void theStepSummarySplitsAnUpdateIntoItsReadAndItsCompareAndSet() {
    org.HdrHistogram.Histogram reads = new org.HdrHistogram.Histogram(3);
    org.HdrHistogram.Histogram cas = new org.HdrHistogram.Histogram(3);
    for (int i = 1; i <= 100; i++) {
      reads.recordValue(i * 100L); // 0.1 .. 10 ms
      cas.recordValue(i * 1_000L); // 1 .. 100 ms
    }
    cas.recordValue(1_000L);
    // Three significant digits: 50,000 and 99,000 us are kept as the top of their buckets, 50,015 and 99,007.
    assertEquals("JunctionDB: partial update steps: latest-read p50=5.00ms p99=9.90ms, compare-and-set"
        + " p50=50.02ms p99=99.01ms (101 attempts)", JunctionDB.stepSummary(reads, cas));
  }
}
