package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.Answered;
import dev.junction.chain.core.ChainReplica;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.Output;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
import dev.junction.store.KeyValue;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol core on a real store: persistence, recovery from the stored log, clamped scans. */
class ReplicaStoreTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aSingleReplicaChainPersistsRecoversAndScansWithinItsRange() throws Exception {
    RangeConfig config = new RangeConfig(3, b("b"), b("m"), 1, List.of(new Replica(0, "n0")));
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      store.put(b("a"), b("other range"), 1);
      store.put(b("z"), b("other range"), 1);
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      ChainReplica<String> core = ChainReplica.create(0, config, ChainSettings.DEFAULTS, rs::get);
      core.start();
      core.onClientWrite(1, new RequestId("c", 1), new WriteOp.Put(b("c"), b("1")), "w1", 0);
      core.onClientWrite(1, new RequestId("c", 2), new WriteOp.Cas(b("c"), b("1"), b("2")), "w2", 0);
      Output<String> flushed = core.flush();
      List<LogEntry> pending = flushed.persist();
      assertEquals(2, pending.size(), "one batch for both");
      long last = rs.persist(config, pending, flushed.persistCommitted()).get();
      assertEquals(2, last);
      Output<String> done = core.onPersisted(last);
      assertEquals(2, done.replies().size(), "a chain of one commits on its own store");
      assertEquals(2, rs.appliedSeq());
      assertEquals("2", new String(rs.get(b("c")).orElseThrow().value(), StandardCharsets.UTF_8));
      // The next batch records the commit point, so a restart knows seq 2 is committed.
      core.onClientWrite(1, new RequestId("c", 3), new WriteOp.Put(b("d"), b("3")), "w3", 0);
      Output<String> third = core.flush();
      assertEquals(2, third.persistCommitted());
      rs.persist(config, third.persist(), third.persistCommitted()).get();
      core.onPersisted(3);

      List<KeyValue> all = rs.scan(config, new ReadOp.Scan(new byte[0], new byte[0], 100)).entries();
      assertEquals(2, all.size(), "only the range's own keys");

      List<LogEntry> log = rs.storedLog();
      assertEquals(List.of(1L, 2L, 3L), log.stream().map(LogEntry::seq).toList());
      assertEquals(2, rs.committedSeq(log));
      ChainReplica<String> recovered =
          ChainReplica.recover(0, config, ChainSettings.DEFAULTS, rs.appliedSeq(), rs.committedSeq(log), log, List.of(), rs::get);
      recovered.start();
      assertEquals(3, recovered.lastReceived());
      assertEquals(3, recovered.committed(), "alone in its chain: what is durable here is committed");
      Output<String> retry =
          recovered.onClientWrite(1, new RequestId("c", 2), new WriteOp.Cas(b("c"), b("1"), b("2")), "again", 0);
      assertEquals(1, retry.replies().size(), "the recovered replica remembers request c/2 and answers it");
      assertTrue(recovered.flush().persist().isEmpty(), "without a new entry");
      rs.truncateLog(2);
    }
  }

  @Test
  void aSplitLeavesTwoRangesThatStartFromItsDataAndContinueItsSequence() throws Exception {
    RangeConfig config = new RangeConfig(3, b("b"), b("m"), 4, List.of(new Replica(2, "n0")));
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      ReplicaStore rs = new ReplicaStore(store, 3, 2);
      ChainReplica<String> core = ChainReplica.create(2, config, ChainSettings.DEFAULTS, rs::get);
      core.start();
      core.onClientWrite(4, new RequestId("c", 1), new WriteOp.Put(b("c"), b("1")), "w1", 0);
      core.onClientWrite(4, new RequestId("c", 2), new WriteOp.Put(b("k"), b("2")), "w2", 0);
      core.onEnd(4, new dev.junction.chain.core.Mutation.Split(b("f"), 11, 12));
      Output<String> flushed = core.flush();
      long last = rs.persist(config, flushed.persist(), flushed.persistCommitted()).get();
      assertEquals(3, last, "the split is entry 3");
      Output<String> done = core.onPersisted(last);
      assertEquals(3, done.ended().seq(), "a chain of one commits the split at once and reports it");

      // The two new ranges start from this node's data, at the split's sequence number, in the same slot.
      ReplicaStore left = new ReplicaStore(store, 11, 2);
      ReplicaStore right = new ReplicaStore(store, 12, 2);
      for (ReplicaStore part : List.of(left, right)) {
        assertEquals(3, part.appliedSeq());
        assertEquals(3, part.committedSeq(part.storedLog()), "its start counts as committed");
        assertTrue(part.storedLog().isEmpty());
        assertTrue(part.foreignSlot().isEmpty(), "its data belongs to its own slot");
      }
      RangeConfig rightConfig = new RangeConfig(12, b("f"), b("m"), 5, List.of(new Replica(2, "n0")));
      assertEquals(List.of("k"), right.scan(rightConfig, new ReadOp.Scan(new byte[0], new byte[0], 10)).entries()
          .stream().map(kv -> new String(kv.key(), StandardCharsets.UTF_8)).toList());
      assertEquals(List.of(3L), ids(right.predecessors(rightConfig)), "the range whose log ends naming it");
      List<LogEntry> inherited = predecessorsLog(right, rightConfig);
      assertEquals(List.of(1L, 2L, 3L), inherited.stream().map(LogEntry::seq).toList(), "the split range's log");
      assertEquals(List.of(new Answered(new RequestId("c", 1), 1, new WriteResult.Written(1)),
          new Answered(new RequestId("c", 2), 2, new WriteResult.Written(2))), Answered.of(inherited),
          "the requests it answered (the split itself answers none)");
      assertEquals(Answered.of(inherited), core.answered(),
          "the split range's replica hands on what its stored log says it answered");
      RangeConfig other = new RangeConfig(13, b("a"), b("z"), 1, List.of(new Replica(4, "n0")));
      assertEquals(List.of(), ids(new ReplicaStore(store, 13, 4).predecessors(other)),
          "overlapping ranges whose endings name others (or that did not end) are no predecessors");
      ChainReplica<String> next = ChainReplica.recover(2, rightConfig, ChainSettings.DEFAULTS, right.appliedSeq(),
          right.committedSeq(right.storedLog()), right.storedLog(), core.answered(), right::get);
      next.start();
      Output<String> retried = next.onClientWrite(5, new RequestId("c", 2), new WriteOp.Put(b("k"), b("2")), "again", 0);
      assertEquals(new dev.junction.chain.core.ClientReply.Done(new dev.junction.chain.core.WriteResult.Written(2)),
          retried.replies().get(0).reply(), "a retry of a write the split range applied gets its answer, not a new entry");
      next.onClientWrite(5, new RequestId("c", 3), new WriteOp.Put(b("k"), b("3")), "w3", 0);
      Output<String> put = next.flush();
      assertEquals(List.of(4L), put.persist().stream().map(LogEntry::seq).toList(), "its sequence goes on from the split's");

      // The split range, restarted, is still sealed: it takes no write.
      List<LogEntry> log = rs.storedLog();
      ChainReplica<String> old = ChainReplica.recover(2, config, ChainSettings.DEFAULTS, rs.appliedSeq(),
          rs.committedSeq(log), log, List.of(), rs::get);
      old.start();
      assertEquals(3, old.sealedAt());
      assertEquals(dev.junction.chain.core.ClientReply.Reason.SEALED,
          ((dev.junction.chain.core.ClientReply.Rejected) old.onClientWrite(4, new RequestId("c", 4),
              new WriteOp.Put(b("c"), b("4")), "w4", 0).replies().get(0).reply()).reason());
    }
  }

  @Test
  void aMergeLeavesOneRangeOverBothThatStartsAfterBothSequences() throws Exception {
    RangeConfig left = new RangeConfig(3, b("b"), b("f"), 2, List.of(new Replica(2, "n0")));
    RangeConfig right = new RangeConfig(4, b("f"), b("m"), 7, List.of(new Replica(5, "n0")));
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      ReplicaStore ls = new ReplicaStore(store, 3, 2);
      ReplicaStore rs = new ReplicaStore(store, 4, 5);
      ChainReplica<String> l = ChainReplica.create(2, left, ChainSettings.DEFAULTS, ls::get);
      ChainReplica<String> r = ChainReplica.create(5, right, ChainSettings.DEFAULTS, rs::get);
      l.start();
      r.start();
      for (int i = 1; i <= 3; i++) {
        r.onClientWrite(7, new RequestId("c", i), new WriteOp.Put(b("g" + i), b("r" + i)), "r" + i, 0);
      }
      l.onClientWrite(2, new RequestId("c", 9), new WriteOp.Put(b("c"), b("l")), "l", 0);
      l.onEnd(2, new dev.junction.chain.core.Mutation.Seal(b("f"), 20));
      Output<String> lf = l.flush();
      l.onPersisted(ls.persist(left, lf.persist(), lf.persistCommitted()).get());
      assertEquals(2, l.sealedAt(), "the left half is sealed at its seq 2");
      r.onEnd(7, new dev.junction.chain.core.Mutation.MergeInto(b("f"), 20, 2, b("b"), left.chain()));
      Output<String> rf = r.flush();
      Output<String> done = r.onPersisted(rs.persist(right, rf.persist(), rf.persistCommitted()).get());
      assertEquals(4, done.ended().seq());

      ReplicaStore merged = new ReplicaStore(store, 20, 2);
      assertEquals(4, merged.appliedSeq(), "after both halves' last sequence numbers");
      assertEquals(List.of(1L, 2L, 1L, 2L, 3L, 4L), predecessorsLog(merged,
          new RangeConfig(20, b("b"), b("m"), 8, List.of(new Replica(2, "n0")))).stream().map(LogEntry::seq).toList(),
          "both halves' logs");
      assertTrue(merged.foreignSlot().isEmpty(), "in the left range's slot on this node");
      RangeConfig mergedConfig = new RangeConfig(20, b("b"), b("m"), 8, List.of(new Replica(2, "n0")));
      assertEquals(List.of("c", "g1", "g2", "g3"), merged.scan(mergedConfig, new ReadOp.Scan(new byte[0], new byte[0], 10))
          .entries().stream().map(kv -> new String(kv.key(), StandardCharsets.UTF_8)).toList());
      ChainReplica<String> m = ChainReplica.recover(2, mergedConfig, ChainSettings.DEFAULTS, merged.appliedSeq(),
          merged.committedSeq(merged.storedLog()), merged.storedLog(), List.of(), merged::get);
      m.start();
      m.onClientWrite(8, new RequestId("c", 10), new WriteOp.Put(b("c"), b("m")), "m", 0);
      assertEquals(5, m.flush().persist().get(0).seq());
    }
  }

  /**
   * A copy first forgets what the node held of its range (a replica it hosted before). A range delete
   * would make the node's store flush its memtable and commit into LMDB under its write lock, stalling
   * every range the node serves: the wipe deletes key by key through the write-ahead log instead.
   */
  @Test
  void aWipeForgetsTheRangeWithoutFlushingTheStore() throws Exception {
    StoreSettings settings = StoreSettings.defaults(dir.resolve("w")).withWal(64 << 20, 1L << 30, java.time.Duration.ofHours(1));
    try (SsdStore store = SsdStore.open(settings)) {
      store.put(b("a"), b("other range"), 1);
      store.put(b("m"), b("other range"), 1);
      int keys = 5_000; // several chunks
      for (int i = 0; i < keys; i += 500) {
        dev.junction.store.WriteBatch batch = new dev.junction.store.WriteBatch();
        for (int j = i; j < i + 500; j++) {
          batch.put(b(String.format("c%05d", j)), b("v" + j), 10 + j);
        }
        store.write(batch.appendLog(3, 10 + i, b("log")).putMeta(3,
            new dev.junction.store.RangeMeta(1, 10 + i, b("b"), b("m"), 0, 10 + i)));
      }
      store.flush(); // some in LMDB, some in the memtable
      store.put(b("c99999"), b("memtable"), 99_999);
      long flushes = store.stats().flushes();
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      rs.wipe(b("b"), b("m"));
      assertTrue(store.scanPage(b("b"), b("m"), 10, 1 << 20).entries().isEmpty(), () -> "the range's keys are gone: " + store.scanPage(b("b"), b("m"), 10, 1 << 20).entries().stream().map(kv -> new String(kv.key(), StandardCharsets.UTF_8)).toList());
      assertTrue(store.meta(3).isEmpty(), "and its metadata");
      assertTrue(rs.storedLog().isEmpty(), "and its log");
      assertEquals("other range", new String(store.get(b("a")).orElseThrow().value(), StandardCharsets.UTF_8));
      assertEquals("other range", new String(store.get(b("m")).orElseThrow().value(), StandardCharsets.UTF_8));
      assertEquals(flushes, store.stats().flushes(), "the wipe did not flush the memtable");
    }
  }

  private static List<Long> ids(List<ReplicaStore> stores) {
    return stores.stream().map(ReplicaStore::rangeId).toList();
  }

  /** The stored logs of the ranges {@code part} took over, oldest range first. */
  private static List<LogEntry> predecessorsLog(ReplicaStore part, RangeConfig config) {
    return part.predecessors(config).stream().flatMap(p -> p.storedLog().stream()).toList();
  }
}
